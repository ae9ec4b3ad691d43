//go:build linux

package layer

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// mountOverlay mounts lower+upper at merged, or skips the test saying why
// it cannot.
func mountOverlay(t *testing.T, base string) (lower, upper, merged string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping overlayfs test: needs root to mount overlayfs")
	}
	lower, upper, merged = filepath.Join(base, "lower"), filepath.Join(base, "upper"), filepath.Join(base, "merged")
	work := filepath.Join(base, "work")
	for _, d := range []string{lower, upper, merged, work} {
		must(t, os.MkdirAll(d, 0o755))
	}
	return lower, upper, merged
}

func doMount(t *testing.T, base string) func() {
	t.Helper()
	opts := "lowerdir=" + filepath.Join(base, "lower") + ",upperdir=" + filepath.Join(base, "upper") + ",workdir=" + filepath.Join(base, "work")
	merged := filepath.Join(base, "merged")
	if err := unix.Mount("overlay", merged, "overlay", 0, opts); err != nil {
		t.Skipf("skipping overlayfs test: mounting overlay failed (%v); the kernel or container may not allow it", err)
	}
	mounted := true
	unmount := func() {
		if mounted {
			mounted = false
			must(t, unix.Unmount(merged, 0))
		}
	}
	t.Cleanup(unmount)
	return unmount
}

// TestOverlayMatchesDiff makes the same changes on a real overlayfs mount
// and checks that the layer from its upper directory is byte for byte the
// layer Diff finds between the lower tree and the merged view.
func TestOverlayMatchesDiff(t *testing.T) {
	base := t.TempDir()
	lower, upper, merged := mountOverlay(t, base)
	baseTree(t, lower)
	put(t, lower, "keep", "kept content", 0o644)
	put(t, lower, "old/file", "old", 0o644)
	stampTree(t, filepath.Join(lower, "old"), oldTime)
	unmount := doMount(t, base)

	m := func(p string) string { return filepath.Join(merged, p) }
	// Modify, delete, add below a new directory.
	must(t, os.WriteFile(m("a/x"), []byte("new x content"), 0o644))
	must(t, os.Remove(m("a/y")))
	put(t, merged, "new/dir/file", "new file", 0o644)
	// rmdir and recreate: overlay marks the new directory opaque.
	must(t, os.Remove(m("d/e/f")))
	must(t, os.Remove(m("d/e")))
	must(t, os.Mkdir(m("d/e"), 0o750))
	put(t, merged, "d/e/g", "g", 0o644)
	// File replaced by a directory, directory replaced by a file.
	must(t, os.Remove(m("c")))
	put(t, merged, "c/inside", "inside", 0o644)
	must(t, os.RemoveAll(m("b")))
	put(t, merged, "b", "b is a file now", 0o644)
	// Metadata only: a new mtime, a new mode.
	now := time.Now()
	must(t, os.Chtimes(m("keep"), now, now))
	must(t, os.Chmod(m("old/file"), 0o600))
	// Links, modes, names.
	put(t, merged, "links/h1", "hard", 0o644)
	must(t, os.Link(m("links/h1"), m("links/h2")))
	must(t, os.Symlink("../a/x", m("links/sym")))
	put(t, merged, "bin/suid", "suid", os.ModeSetuid|0o755)
	must(t, os.Mkdir(m("sticky"), 0o755))
	must(t, os.Chmod(m("sticky"), os.ModeSticky|0o777))
	put(t, merged, unicodeName, "unicode", 0o644)
	put(t, merged, longName, "long", 0o644)
	put(t, merged, "zero", "", 0o644)
	must(t, unix.Lsetxattr(put(t, merged, "bin/cap", "cap", 0o755), "security.capability", capNetBind, 0))

	cd, err := Diff(t.Context(), lower, merged)
	must(t, err)
	diffLayer := mustWrite(t, cd)
	unmount()

	co, err := FromOverlay(t.Context(), upper)
	must(t, err)
	ovLayer := mustWrite(t, co)

	ovNames, diffNames := names(readLayer(t, ovLayer)), names(readLayer(t, diffLayer))
	t.Logf("%d entries: %q", len(ovNames), ovNames)
	if !slices.Equal(ovNames, diffNames) {
		t.Fatalf("entries differ:\noverlay: %q\ndiff:    %q", ovNames, diffNames)
	}
	if do, dd := digestOf(t, ovLayer), digestOf(t, diffLayer); do != dd {
		t.Fatalf("same entries, different bytes: overlay %s, diff %s", do, dd)
	}
	for _, want := range []string{"a/.wh.y", "d/e/.wh..wh..opq", "c/.wh..wh..opq", "b", "keep", "old/file", "links/h2"} {
		if !slices.Contains(ovNames, want) {
			t.Errorf("%s missing from %q", want, ovNames)
		}
	}
	for _, n := range ovNames {
		if strings.HasPrefix(n, "a/x") && n != "a/x" || strings.Contains(n, "work") {
			t.Errorf("unexpected entry %s", n)
		}
	}
}

// TestFromOverlayRefusesRedirect: an upper directory that points into the
// lower layers cannot be converted alone.
func TestFromOverlayRefusesRedirect(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipping: setting trusted.* xattrs needs root")
	}
	upper := t.TempDir()
	must(t, os.Mkdir(filepath.Join(upper, "moved"), 0o755))
	must(t, unix.Lsetxattr(filepath.Join(upper, "moved"), "trusted.overlay.redirect", []byte("/orig"), 0))
	if _, err := FromOverlay(t.Context(), upper); err == nil || !strings.Contains(err.Error(), "redirect") {
		t.Fatalf("redirected directory accepted: %v", err)
	}
}

// TestFromOverlayUserXattr covers mounts with "userxattr", where the
// opaque flag lives in user.overlay.opaque, and xattr-style whiteouts.
func TestFromOverlayUserXattr(t *testing.T) {
	upper := t.TempDir()
	must(t, os.Mkdir(filepath.Join(upper, "dir"), 0o755))
	if err := unix.Lsetxattr(filepath.Join(upper, "dir"), "user.overlay.opaque", []byte("y"), 0); err != nil {
		t.Skipf("skipping: filesystem refuses user xattrs: %v", err)
	}
	put(t, upper, "dir/kept", "k", 0o644)
	gone := put(t, upper, "gone", "", 0o644)
	must(t, unix.Lsetxattr(gone, "user.overlay.whiteout", []byte{}, 0))
	c, err := FromOverlay(t.Context(), upper)
	must(t, err)
	got := names(readLayer(t, mustWrite(t, c)))
	want := []string{"dir/", "dir/.wh..wh..opq", "dir/kept", ".wh.gone"}
	if !slices.Equal(got, want) {
		t.Fatalf("layer holds %q, want %q", got, want)
	}
}
