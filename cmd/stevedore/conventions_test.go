package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHelpCommand(t *testing.T) {
	r := stevedore(t, nil, "", "help")
	if r.code != 0 || !strings.Contains(r.stdout, "release") || !strings.Contains(r.stdout, "plan") {
		t.Errorf("stevedore help: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = stevedore(t, nil, "", "help", "plan")
	if r.code != 0 || !strings.Contains(r.stdout, "--notes") {
		t.Errorf("stevedore help plan: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// -t names where the image goes, as docker buildx build -t does.
func TestBuildShortT(t *testing.T) {
	ctxDir := t.TempDir()
	for n, c := range map[string]string{"Dockerfile": "FROM scratch\nCOPY hello.txt /\n", "hello.txt": "hi\n"} {
		if err := os.WriteFile(filepath.Join(ctxDir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "image")
	env := map[string]string{"SOURCE_DATE_EPOCH": "1700000000", "XDG_CACHE_HOME": t.TempDir()}
	r := stevedore(t, env, "", "build", ctxDir, "-t", "oci:"+out)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "index.json")); err != nil {
		t.Errorf("-t did not write the layout: %v", err)
	}
}
