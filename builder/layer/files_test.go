package layer

import (
	"archive/tar"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestFromFiles(t *testing.T) {
	src := t.TempDir()
	put(t, src, "tree/one", "1", 0o600)
	put(t, src, "tree/sub/two", "22", 0o644)
	single := put(t, src, "single", "single", 0o644)
	old := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	must(t, os.Chtimes(single, old, old))

	c, err := FromFiles(t.Context(), []File{
		{Path: "/app/tree", Source: filepath.Join(src, "tree"), Owner: &Owner{UID: 1000, GID: 1000}, Mode: 0o750},
		{Path: "app/single", Source: single},
		{Path: "etc/motd", Data: []byte("first")},
		{Path: "/etc/motd", Data: []byte("second wins")},
		{Path: "app/link", Kind: KindSymlink, Linkname: "single"},
		{Path: "var/empty", Kind: KindDir},
	})
	must(t, err)
	es := readLayer(t, mustWrite(t, c))
	want := []string{"app/link", "app/single", "app/tree/", "app/tree/one", "app/tree/sub/", "app/tree/sub/two", "etc/motd", "var/empty/"}
	if got := names(es); !slices.Equal(got, want) {
		t.Fatalf("layer holds %q, want %q", got, want)
	}
	by := map[string]tarEntry{}
	for _, e := range es {
		by[e.hdr.Name] = e
	}
	if h := by["app/tree/sub/two"].hdr; h.Uid != 1000 || h.Gid != 1000 || h.Mode != 0o750 {
		t.Errorf("--chown/--chmod not applied: %+v", h)
	}
	if h := by["app/single"].hdr; !h.ModTime.Equal(old) || h.Mode != 0o644 {
		t.Errorf("source metadata not kept: %+v", h)
	}
	if e := by["etc/motd"]; string(e.data) != "second wins" || e.hdr.Mode != 0o644 || !e.hdr.ModTime.Equal(testEpoch) {
		t.Errorf("in-memory file: %q %+v", e.data, e.hdr)
	}
	if h := by["app/link"].hdr; h.Typeflag != tar.TypeSymlink || h.Linkname != "single" {
		t.Errorf("symlink: %+v", h)
	}
	if h := by["var/empty/"].hdr; h.Typeflag != tar.TypeDir || h.Mode != 0o755 {
		t.Errorf("directory: %+v", h)
	}
}

func TestFromFilesErrors(t *testing.T) {
	dir := t.TempDir()
	file := put(t, dir, "f", "x", 0o644)
	for name, files := range map[string][]File{
		"empty path":        {{Path: "", Data: []byte("x")}},
		"root in memory":    {{Path: "/", Data: []byte("x")}},
		"file at root":      {{Path: "/", Source: file}},
		"symlink no target": {{Path: "l", Kind: KindSymlink}},
		"device in memory":  {{Path: "dev/x", Kind: KindCharDevice}},
	} {
		if _, err := FromFiles(t.Context(), files); !errors.Is(err, ErrInvalidPath) && !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := FromFiles(t.Context(), []File{{Path: "x", Source: filepath.Join(dir, "missing")}}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing source: %v", err)
	}
}

func TestFromFilesModes(t *testing.T) {
	src := t.TempDir()
	put(t, src, "tree/f", "f", 0o640)
	must(t, os.Chmod(filepath.Join(src, "tree"), 0o700))
	addX := func(m os.FileMode) os.FileMode {
		if m.IsDir() {
			return m | 0o001
		}
		return m | 0o100
	}
	c, err := FromFiles(t.Context(), []File{
		{Path: "zero", Data: []byte("z"), ModeSet: true},
		{Path: "tree", Source: filepath.Join(src, "tree"), ModeFunc: addX},
		{Path: "link", Kind: KindSymlink, Linkname: "zero", ModeFunc: addX},
	})
	must(t, err)
	by := map[string]int64{}
	for _, e := range readLayer(t, mustWrite(t, c)) {
		by[e.hdr.Name] = e.hdr.Mode
	}
	want := map[string]int64{"zero": 0, "tree/": 0o701, "tree/f": 0o740, "link": 0o777}
	for n, m := range want {
		if by[n] != m {
			t.Errorf("%s: mode %o, want %o", n, by[n], m)
		}
	}
}
