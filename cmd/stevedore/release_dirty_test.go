package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/ledger"
)

// A release from a work tree with an untracked file in the build context
// exits 2 in the plan step naming the file and the flag; with the flag it
// releases, marked dirty in the ledger.
func TestReleaseDirtyWorkTree(t *testing.T) {
	dir := gitRepo(t)
	for n, c := range map[string]string{"Dockerfile": "FROM scratch\nCOPY . /src\n", "hello.txt": "hi\n", ".gitignore": "/dist/\n/.stevedore/\n"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-q", "-m", "feat: first")
	if err := os.WriteFile(filepath.Join(dir, "secret-notes.txt"), []byte("not committed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"XDG_CACHE_HOME": t.TempDir(), "COSIGN_PASSWORD": "correct horse battery"}
	r := stevedore(t, env, "", "release", "--dir", dir)
	if r.code != exitUsage || !strings.Contains(r.stderr, "plan") || !strings.Contains(r.stderr, "secret-notes.txt") || !strings.Contains(r.stderr, "--allow-dirty") {
		t.Errorf("dirty release: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "dist")); err == nil {
		t.Error("the refused release wrote dist/")
	}
	r = stevedore(t, env, "", "release", "--dir", dir, "--allow-dirty")
	if r.code != 0 {
		t.Fatalf("--allow-dirty: exit %d\n%s", r.code, r.stderr)
	}
	l, err := ledger.Read(filepath.Join(dir, "dist/release.json"))
	if err != nil || !l.Dirty {
		t.Errorf("ledger: %+v, %v", l, err)
	}
}
