package testutil

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFilesAndGit(t *testing.T) {
	dir := t.TempDir()
	WriteFiles(t, dir, map[string]string{"a/b/c.txt": "c", "d.txt": "d"})
	if b, err := os.ReadFile(filepath.Join(dir, "a/b/c.txt")); err != nil || string(b) != "c" {
		t.Fatalf("a/b/c.txt: %q %v", b, err)
	}
	const date = "@1700000000 +0000"
	Git(t, dir, date, "init", "-q", "-b", "main")
	Git(t, dir, date, "add", ".")
	Git(t, dir, date, "commit", "-q", "-m", "first")
	// Same tree, identity and date: the same commit on any machine.
	other := t.TempDir()
	WriteFiles(t, other, map[string]string{"a/b/c.txt": "c", "d.txt": "d"})
	Git(t, other, date, "init", "-q", "-b", "main")
	Git(t, other, date, "add", ".")
	Git(t, other, date, "commit", "-q", "-m", "first")
	if a, b := Git(t, dir, date, "rev-parse", "HEAD"), Git(t, other, date, "rev-parse", "HEAD"); a != b {
		t.Errorf("commits differ: %s %s", a, b)
	}
}
