package rootfs

import (
	"archive/tar"
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// entry describes one tar entry: "dir/", "file=content", "link->target",
// "hard=>target".
type entry struct {
	name string
	typ  byte
	body string
	link string
	mode int64
}

func layerTar(t *testing.T, entries ...entry) *bytes.Reader {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mtime := time.Unix(1700000000, 0)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: e.mode, ModTime: mtime, Size: int64(len(e.body))}
		if h.Mode == 0 {
			h.Mode = 0o644
			if e.typ == tar.TypeDir {
				h.Mode = 0o755
			}
		}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(buf.Bytes())
}

func dir(n string) entry             { return entry{name: n, typ: tar.TypeDir} }
func file(n, body string) entry      { return entry{name: n, typ: tar.TypeReg, body: body} }
func symlink(n, target string) entry { return entry{name: n, typ: tar.TypeSymlink, link: target} }
func hardlink(n, target string) entry {
	return entry{name: n, typ: tar.TypeLink, link: target}
}

// tree lists a directory as "path" for dirs, "path=content" for files and
// "path->target" for symlinks, sorted.
func tree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out = append(out, rel+"->"+target)
		case d.IsDir():
			out = append(out, rel+"/")
		default:
			b, _ := os.ReadFile(p)
			out = append(out, rel+"="+string(b))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func TestApplyLayers(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		layers [][]entry
		want   []string
	}{
		{
			name: "files, dirs, links",
			layers: [][]entry{{
				dir("etc/"), file("etc/os-release", "ID=test"), symlink("bin", "usr/bin"),
				dir("usr/"), dir("usr/bin/"), file("usr/bin/sh", "elf"), hardlink("usr/bin/ash", "usr/bin/sh"),
			}},
			want: []string{"bin->usr/bin", "etc/", "etc/os-release=ID=test", "usr/", "usr/bin/", "usr/bin/ash=elf", "usr/bin/sh=elf"},
		},
		{
			name: "whiteout deletes a file and a directory",
			layers: [][]entry{
				{file("a/keep", "1"), file("a/gone", "2"), file("b/x", "3")},
				{file("a/.wh.gone", ""), file(".wh.b", "")},
			},
			want: []string{"a/", "a/keep=1"},
		},
		{
			name: "opaque directory keeps only this layer's entries, wherever the marker sits",
			layers: [][]entry{
				{file("d/old", "1"), file("d/sub/old", "2")},
				{file("d/new", "3"), file("d/sub2/new", "4"), file("d/.wh..wh..opq", "")},
			},
			want: []string{"d/", "d/new=3", "d/sub2/", "d/sub2/new=4"},
		},
		{
			name: "a file replaces a directory and a directory replaces a file",
			layers: [][]entry{
				{file("x/inner", "1"), file("y", "2")},
				{file("x", "file now"), dir("y/"), file("y/inner", "dir now")},
			},
			want: []string{"x=file now", "y/", "y/inner=dir now"},
		},
		{
			name: "writes through an absolute symlink stay inside the root",
			layers: [][]entry{
				{dir("run/"), dir("var/"), symlink("var/run", "/run")},
				{file("var/run/pid", "42")},
			},
			want: []string{"run/", "run/pid=42", "var/", "var/run->/run"},
		},
		{
			name: "a symlink climbing with .. is clamped at the root",
			layers: [][]entry{
				{symlink("up", "../../../../"), dir("tmp/")},
				{file("up/tmp/f", "safe")},
			},
			want: []string{"tmp/", "tmp/f=safe", "up->../../../../"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "rootfs")
			for _, l := range tt.layers {
				if _, err := ApplyTar(ctx, root, layerTar(t, l...)); err != nil {
					t.Fatal(err)
				}
			}
			if got := tree(t, root); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("tree:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestApplyRefusesEscapes(t *testing.T) {
	ctx := context.Background()
	outside := t.TempDir()
	for _, tt := range []struct {
		name    string
		entries []entry
	}{
		{"dot-dot name", []entry{file("../evil", "x")}},
		{"hard link out of the root", []entry{hardlink("h", "../../etc/passwd")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "rootfs")
			_, err := ApplyTar(ctx, root, layerTar(t, tt.entries...))
			if err == nil || !strings.Contains(err.Error(), "climbs out") {
				t.Fatalf("err = %v, want a refusal naming the escape", err)
			}
		})
	}
	// An absolute symlink to a host directory is followed inside the root.
	root := filepath.Join(t.TempDir(), "rootfs")
	if _, err := ApplyTar(ctx, root, layerTar(t, symlink("host", outside))); err != nil {
		t.Fatal(err)
	}
	if _, err := ApplyTar(ctx, root, layerTar(t, file("host/planted", "x"))); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(outside, "planted")); err == nil {
		t.Fatalf("a layer wrote through a symlink to %s on the host", outside)
	}
	if _, err := os.Stat(filepath.Join(root, outside, "planted")); err != nil {
		t.Errorf("the file should land under the root at %s: %v", outside, err)
	}
}

func TestApplyModesOwnersAndTimes(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("owners can only be applied as root")
	}
	root := filepath.Join(t.TempDir(), "rootfs")
	e := file("usr/bin/su", "elf")
	e.mode = 0o4755
	l := layerTar(t, e, entry{name: "tmp/", typ: tar.TypeDir, mode: 0o1777})
	if _, err := ApplyTar(context.Background(), root, l); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(root, "usr/bin/su"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&fs.ModeSetuid == 0 || fi.Mode().Perm() != 0o755 {
		t.Errorf("mode = %v, want setuid 0755", fi.Mode())
	}
	if !fi.ModTime().Equal(time.Unix(1700000000, 0)) {
		t.Errorf("mtime = %v", fi.ModTime())
	}
	di, err := os.Stat(filepath.Join(root, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	if di.Mode()&fs.ModeSticky == 0 || di.Mode().Perm() != 0o777 {
		t.Errorf("tmp mode = %v, want sticky 0777", di.Mode())
	}
}
