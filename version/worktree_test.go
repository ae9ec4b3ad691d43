package version

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUncommitted(t *testing.T) {
	r := newRepo(t)
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(r.dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"app/kept.txt", "app/changed.txt", "app/staged.txt", "app/deleted.txt", "other/x.txt"} {
		write(f, "committed\n")
	}
	write(".gitignore", "*.log\n")
	r.git("add", ".")
	r.commit("feat: first")
	if got, err := Uncommitted(context.Background(), filepath.Join(r.dir, "app")); err != nil || len(got) != 0 {
		t.Fatalf("clean tree: %v, %v", got, err)
	}

	write("app/changed.txt", "changed\n")
	write("app/staged.txt", "staged\n")
	r.git("add", "app/staged.txt")
	if err := os.Remove(filepath.Join(r.dir, "app/deleted.txt")); err != nil {
		t.Fatal(err)
	}
	write("app/new/untracked.txt", "new\n")
	write("app/debug.log", "ignored by git\n")
	write("other/x.txt", "changed, but outside app\n")
	write("app/kept.txt", "committed\n") // rewritten with the same bytes

	got, err := Uncommitted(context.Background(), filepath.Join(r.dir, "app"))
	if err != nil {
		t.Fatal(err)
	}
	want := "changed.txt deleted.txt new/untracked.txt staged.txt"
	if strings.Join(got, " ") != want {
		t.Errorf("Uncommitted(app) = %v, want %s", got, want)
	}
	if _, err := Uncommitted(context.Background(), t.TempDir()); err == nil {
		t.Error("a directory outside any repository gave no error")
	}
}
