package isolate

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestStubsCleanup(t *testing.T) {
	root := t.TempDir()
	etc := filepath.Join(root, "etc")
	if err := os.Mkdir(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	old := time.Unix(1_600_000_000, 0)
	os.Chtimes(etc, old, old)
	s := &stubs{root: root}
	for _, c := range []struct {
		p   string
		dir bool
	}{{"etc/hosts", false}, {"run/secrets/id", false}, {"cache/a/b", true}, {"kept/x", false}, {"used", true}} {
		if err := s.ensure(filepath.Join(root, c.p), c.dir); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ensure(filepath.Join(root, "etc"), false); err == nil {
		t.Error("a directory accepted as a file mount point")
	}
	// The command wrote next to one stub and into another.
	os.WriteFile(filepath.Join(root, "kept/other"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(root, "used/file"), []byte("x"), 0o644)
	if err := s.cleanup(); err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"etc/hosts", "run", "cache", "kept/x"} {
		if _, err := os.Lstat(filepath.Join(root, gone)); !os.IsNotExist(err) {
			t.Errorf("%s left behind: %v", gone, err)
		}
	}
	for _, kept := range []string{"kept/other", "used/file"} {
		if _, err := os.Lstat(filepath.Join(root, kept)); err != nil {
			t.Errorf("%s removed: %v", kept, err)
		}
	}
	if fi, _ := os.Stat(etc); !fi.ModTime().Equal(old) {
		t.Errorf("/etc mtime %v not restored to %v", fi.ModTime(), old)
	}
}

func TestStubsCleanupSkipsSymlinkedPaths(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	s := &stubs{root: root}
	if err := s.ensure(filepath.Join(root, "etc/hosts"), false); err != nil {
		t.Fatal(err)
	}
	// The command replaced /etc by a link to somewhere holding an empty
	// "hosts": cleanup must not follow it.
	os.RemoveAll(filepath.Join(root, "etc"))
	os.WriteFile(filepath.Join(outside, "hosts"), nil, 0o644)
	os.Symlink(outside, filepath.Join(root, "etc"))
	if err := s.cleanup(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(outside, "hosts")); err != nil {
		t.Errorf("cleanup followed a symlink: %v", err)
	}
}
