//go:build linux

package layer

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// baseTree is the "before" tree of the diff tests, made alike in lower and
// upper so that only the mutations differ.
func baseTree(t *testing.T, root string) {
	t.Helper()
	put(t, root, "a/x", "x content", 0o644)
	put(t, root, "a/y", "y content", 0o644)
	put(t, root, "b/z", "z", 0o644)
	put(t, root, "c", "c", 0o644)
	put(t, root, "d/e/f", "f", 0o644)
	must(t, os.Symlink("c", filepath.Join(root, "link")))
	stampTree(t, root, time.Unix(1700000000, 123456789))
}

func setTime(t *testing.T, p string, tm time.Time) {
	t.Helper()
	ts := unix.NsecToTimespec(tm.UnixNano())
	must(t, unix.UtimesNanoAt(unix.AT_FDCWD, p, []unix.Timespec{ts, ts}, unix.AT_SYMLINK_NOFOLLOW))
}

func TestDiff(t *testing.T) {
	tests := []struct {
		name   string
		lower  func(t *testing.T, root string) // extra setup of lower only
		mutate func(t *testing.T, root string)
		want   []string
	}{
		{name: "unchanged", mutate: func(t *testing.T, root string) {}},
		{name: "modified", mutate: func(t *testing.T, root string) {
			must(t, os.WriteFile(filepath.Join(root, "a/x"), []byte("new x content"), 0o644))
		}, want: []string{"a/", "a/x"}},
		{name: "deleted", mutate: func(t *testing.T, root string) {
			must(t, os.Remove(filepath.Join(root, "a/y")))
		}, want: []string{"a/", "a/.wh.y"}},
		{name: "chmod", mutate: func(t *testing.T, root string) {
			must(t, os.Chmod(filepath.Join(root, "c"), 0o600))
		}, want: []string{"c"}},
		{name: "file replaced by dir", mutate: func(t *testing.T, root string) {
			must(t, os.Remove(filepath.Join(root, "c")))
			put(t, root, "c/new", "n", 0o644)
		}, want: []string{"c/", "c/.wh..wh..opq", "c/new"}},
		{name: "dir replaced by file", mutate: func(t *testing.T, root string) {
			must(t, os.RemoveAll(filepath.Join(root, "b")))
			put(t, root, "b", "now a file", 0o644)
		}, want: []string{"b"}},
		{name: "rm -r and mkdir", mutate: func(t *testing.T, root string) {
			must(t, os.RemoveAll(filepath.Join(root, "d/e")))
			put(t, root, "d/e/g", "g", 0o644)
		}, want: []string{"d/", "d/e/", "d/e/.wh..wh..opq", "d/e/g"}},
		{name: "deep add keeps parents", mutate: func(t *testing.T, root string) {
			put(t, root, "d/e/h", "h", 0o644)
		}, want: []string{"d/", "d/e/", "d/e/h"}},
		{name: "symlink retargeted", mutate: func(t *testing.T, root string) {
			must(t, os.Remove(filepath.Join(root, "link")))
			must(t, os.Symlink("a", filepath.Join(root, "link")))
		}, want: []string{"link"}},
		{name: "same second rewrite", lower: func(t *testing.T, root string) {
			setTime(t, filepath.Join(root, "a/x"), time.Unix(1700000000, 0))
		}, mutate: func(t *testing.T, root string) {
			p := filepath.Join(root, "a/x")
			must(t, os.WriteFile(p, []byte("X CONTENT"), 0o644))
			setTime(t, p, time.Unix(1700000000, 0))
			setTime(t, filepath.Join(root, "a"), time.Unix(1700000000, 123456789))
		}, want: []string{"a/", "a/x"}},
		{name: "same second identical copy", lower: func(t *testing.T, root string) {
			setTime(t, filepath.Join(root, "a/x"), time.Unix(1700000000, 0))
		}, mutate: func(t *testing.T, root string) {
			setTime(t, filepath.Join(root, "a/x"), time.Unix(1700000000, 0))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lower, upper := t.TempDir(), t.TempDir()
			baseTree(t, lower)
			baseTree(t, upper)
			if tc.lower != nil {
				tc.lower(t, lower)
			}
			tc.mutate(t, upper)
			c, err := Diff(t.Context(), lower, upper)
			must(t, err)
			got := names(readLayer(t, mustWrite(t, c)))
			if !slices.Equal(got, tc.want) {
				t.Fatalf("layer holds %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDiffErrors(t *testing.T) {
	dir := t.TempDir()
	file := put(t, dir, "f", "", 0o644)
	if _, err := Diff(t.Context(), dir, file); err == nil {
		t.Error("diff against a file succeeded")
	}
	if _, err := Diff(t.Context(), dir, filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("diff against a missing tree: %v", err)
	}
}
