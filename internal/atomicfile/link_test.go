//go:build unix

package atomicfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestLinkSharesOnOneFileSystemAndKeepsAnExistingTarget(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "sub", "dst")
	if err := os.WriteFile(src, []byte("blob"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	shared, err := Link(src, dst, 0o644)
	if err != nil || !shared {
		t.Fatalf("Link = %v, %v; want shared", shared, err)
	}
	a, _ := os.Stat(src)
	b, _ := os.Stat(dst)
	if !os.SameFile(a, b) {
		t.Fatal("dst is not the same file as src")
	}
	// An existing target is left alone (names are content).
	other := filepath.Join(dir, "other")
	if err := os.WriteFile(other, []byte("else"), 0o644); err != nil {
		t.Fatal(err)
	}
	if shared, err := Link(other, dst, 0o644); err != nil || shared {
		t.Fatalf("Link over an existing file = %v, %v", shared, err)
	}
	if got, _ := os.ReadFile(dst); string(got) != "blob" {
		t.Fatalf("dst = %q", got)
	}
}

func TestLinkCopiesAcrossFileSystems(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	if err := os.WriteFile(src, []byte("blob across"), 0o644); err != nil {
		t.Fatal(err)
	}
	other, err := os.MkdirTemp("/dev/shm", "atomicfile-link-")
	if err != nil {
		t.Skipf("no second file system: %v", err)
	}
	defer os.RemoveAll(other)
	var s1, s2 syscall.Stat_t
	if syscall.Stat(src, &s1) != nil || syscall.Stat(other, &s2) != nil || s1.Dev == s2.Dev {
		t.Skip("/dev/shm is on the temporary directory's file system")
	}
	dst := filepath.Join(other, "dst")
	shared, err := Link(src, dst, 0o644)
	if err != nil || shared {
		t.Fatalf("Link across file systems = %v, %v; want a copy", shared, err)
	}
	if got, _ := os.ReadFile(dst); string(got) != "blob across" {
		t.Fatalf("dst = %q", got)
	}
	if ents, _ := os.ReadDir(other); len(ents) != 1 {
		t.Fatalf("temporary files left: %v", ents)
	}
}
