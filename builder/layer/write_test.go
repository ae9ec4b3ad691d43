//go:build linux

package layer

import (
	"archive/tar"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

var (
	longName    = strings.Repeat("long-directory-name/", 6) + strings.Repeat("x", 120)
	unicodeName = "üñíçødé/файл 名前.txt"
	oldTime     = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	// capNetBind is a VFS_CAP_REVISION_2 security.capability value
	// granting cap_net_bind_service (effective).
	capNetBind = []byte{1, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
)

// makeTree builds the same logical tree in root, creating objects in the
// given order and stamping everything with mtime except "old", which keeps
// a time before the epoch.
func makeTree(t *testing.T, root string, reverse bool, mtime time.Time) {
	t.Helper()
	rnd := rand.New(rand.NewPCG(1, 2))
	blob := make([]byte, 3<<20)
	for i := range blob {
		if i%4096 < 2048 {
			blob[i] = byte(rnd.Uint32())
		} else {
			blob[i] = byte(i / 4096)
		}
	}
	steps := []func(){
		func() { put(t, root, "bin/tool", "#!/bin/sh\n", os.ModeSetuid|0o755) },
		func() {
			must(t, os.MkdirAll(filepath.Join(root, "tmp"), 0o755))
			must(t, os.Chmod(filepath.Join(root, "tmp"), os.ModeSticky|0o777))
		},
		func() { put(t, root, "empty", "", 0o644) },
		func() { put(t, root, "old", "old content", 0o600) },
		func() { put(t, root, unicodeName, "unicode", 0o644) },
		func() { put(t, root, longName, "long", 0o644) },
		func() { must(t, os.WriteFile(put(t, root, "data/blob", "", 0o644), blob, 0o644)) },
		func() {
			put(t, root, "data/a-link-target", "shared", 0o640)
			must(t, os.MkdirAll(filepath.Join(root, "zz"), 0o755))
			must(t, os.Link(filepath.Join(root, "data/a-link-target"), filepath.Join(root, "zz/second-name")))
		},
		func() {
			must(t, os.MkdirAll(filepath.Join(root, "lib"), 0o755))
			must(t, os.Symlink("../bin/tool", filepath.Join(root, "lib/link")))
		},
		func() {
			must(t, os.MkdirAll(filepath.Join(root, "run"), 0o755))
			must(t, unix.Mkfifo(filepath.Join(root, "run/fifo"), 0o600))
		},
	}
	if os.Geteuid() == 0 {
		steps = append(steps,
			func() {
				must(t, os.MkdirAll(filepath.Join(root, "dev"), 0o755))
				must(t, unix.Mknod(filepath.Join(root, "dev/null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
			},
			func() { must(t, os.Lchown(put(t, root, "home/user/file", "mine", 0o644), 1000, 1001)) },
			func() {
				p := put(t, root, "bin/ping", "ping", 0o755)
				must(t, unix.Lsetxattr(p, "security.capability", capNetBind, 0))
			},
		)
	}
	if reverse {
		slices.Reverse(steps)
	}
	for _, s := range steps {
		s()
	}
	stampTree(t, root, mtime)
	must(t, unix.UtimesNanoAt(unix.AT_FDCWD, filepath.Join(root, "old"), []unix.Timespec{unix.NsecToTimespec(oldTime.UnixNano()), unix.NsecToTimespec(oldTime.UnixNano())}, unix.AT_SYMLINK_NOFOLLOW))
}

func stampTree(t *testing.T, root string, mtime time.Time) {
	t.Helper()
	ts := []unix.Timespec{unix.NsecToTimespec(mtime.UnixNano()), unix.NsecToTimespec(mtime.UnixNano())}
	var paths []string
	must(t, filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		paths = append(paths, p)
		return err
	}))
	// Children first: stamping a child would not touch its parent's
	// mtime, but creating did; deepest last is not needed, any order works.
	for _, p := range paths {
		must(t, unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW))
	}
}

func TestWriteReproducible(t *testing.T) {
	now := time.Now()
	a, b := t.TempDir(), t.TempDir()
	makeTree(t, a, false, now.Add(1234567*time.Nanosecond))
	makeTree(t, b, true, now.Add(time.Hour))

	ctx := t.Context()
	ca, err := FromFiles(ctx, []File{{Path: "/", Source: a}})
	must(t, err)
	cb, err := FromFiles(ctx, []File{{Path: "/", Source: b}})
	must(t, err)
	cd, err := Diff(ctx, t.TempDir(), b)
	must(t, err)

	for _, tc := range []struct {
		name string
		opts []Option
	}{
		{"gzip", nil},
		{"gzip-level-6", []Option{WithLevel(6)}},
		{"zstd", []Option{WithCompression(Zstd)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			la := mustWrite(t, ca, append(tc.opts, WithConcurrency(1))...)
			time.Sleep(10 * time.Millisecond)
			lb := mustWrite(t, cb, append(tc.opts, WithConcurrency(4))...)
			ld := mustWrite(t, cd, tc.opts...)
			if da, db, dd := digestOf(t, la), digestOf(t, lb), digestOf(t, ld); da != db || da != dd {
				t.Fatalf("digests differ: tree a %s, tree b %s, diff of b %s", da, db, dd)
			}
			checkTreeLayer(t, readLayer(t, la), now)
		})
	}
}

func checkTreeLayer(t *testing.T, es []tarEntry, now time.Time) {
	t.Helper()
	byName := map[string]*tar.Header{}
	for i, e := range es {
		h := e.hdr
		byName[h.Name] = h
		if h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: uname/gname %q/%q kept", h.Name, h.Uname, h.Gname)
		}
		if !h.AccessTime.IsZero() || !h.ChangeTime.IsZero() {
			t.Errorf("%s: atime/ctime written", h.Name)
		}
		for k := range h.PAXRecords {
			if !strings.HasPrefix(k, "SCHILY.xattr.") && k != "path" && k != "linkpath" {
				t.Errorf("%s: unexpected PAX record %s", h.Name, k)
			}
		}
		if i > 0 && comparePaths(strings.TrimSuffix(es[i-1].hdr.Name, "/"), strings.TrimSuffix(h.Name, "/")) >= 0 {
			t.Errorf("%s after %s: not sorted", h.Name, es[i-1].hdr.Name)
		}
		if dir := filepath.Dir(strings.TrimSuffix(h.Name, "/")); dir != "." && byName[dir+"/"] == nil {
			t.Errorf("%s comes before its parent", h.Name)
		}
	}
	want := map[string]func(h *tar.Header) bool{
		"bin/tool":           func(h *tar.Header) bool { return h.Mode == 0o4755 && h.ModTime.Equal(testEpoch) },
		"tmp/":               func(h *tar.Header) bool { return h.Typeflag == tar.TypeDir && h.Mode == 0o1777 },
		"empty":              func(h *tar.Header) bool { return h.Typeflag == tar.TypeReg && h.Size == 0 },
		"old":                func(h *tar.Header) bool { return h.ModTime.Equal(oldTime) && h.Mode == 0o600 },
		unicodeName:          func(h *tar.Header) bool { return h.Size == int64(len("unicode")) },
		longName:             func(h *tar.Header) bool { return h.Size == 4 },
		"data/blob":          func(h *tar.Header) bool { return h.Size == 3<<20 },
		"data/a-link-target": func(h *tar.Header) bool { return h.Typeflag == tar.TypeReg && h.Size == 6 },
		"zz/second-name":     func(h *tar.Header) bool { return h.Typeflag == tar.TypeLink && h.Linkname == "data/a-link-target" },
		"lib/link":           func(h *tar.Header) bool { return h.Typeflag == tar.TypeSymlink && h.Linkname == "../bin/tool" },
		"run/fifo":           func(h *tar.Header) bool { return h.Typeflag == tar.TypeFifo },
	}
	if os.Geteuid() == 0 {
		want["dev/null"] = func(h *tar.Header) bool { return h.Typeflag == tar.TypeChar && h.Devmajor == 1 && h.Devminor == 3 }
		want["home/user/file"] = func(h *tar.Header) bool { return h.Uid == 1000 && h.Gid == 1001 }
		want["bin/ping"] = func(h *tar.Header) bool {
			return h.PAXRecords["SCHILY.xattr.security.capability"] == string(capNetBind)
		}
	}
	for name, ok := range want {
		h := byName[name]
		if h == nil {
			t.Errorf("%s missing from layer; have %v", name, names(es))
			continue
		}
		if !ok(h) {
			t.Errorf("%s: unexpected header %+v", name, *h)
		}
	}
}

// TestWriteGolden pins the bytes of a small layer. It fails when a
// dependency upgrade (klauspost/compress, pgzip, archive/tar) changes the
// output: every image digest would change with it, which must be a
// deliberate, announced decision.
func TestWriteGolden(t *testing.T) {
	c, err := FromFiles(t.Context(), []File{
		{Path: "etc/app.conf", Data: []byte(strings.Repeat("key=value\n", 1000))},
		{Path: "app", Kind: KindDir},
		{Path: "app/run", Data: []byte("#!/bin/sh\nexec app\n"), Mode: 0o755, Owner: &Owner{UID: 10, GID: 20}},
		{Path: "app/current", Kind: KindSymlink, Linkname: "run"},
	})
	must(t, err)
	// Several pgzip blocks, so the block size is pinned too.
	rnd := rand.New(rand.NewPCG(3, 4))
	big := make([]byte, 5<<19)
	for i := range big {
		big[i] = byte(rnd.IntN(16))
	}
	cbig, err := FromFiles(t.Context(), []File{{Path: "big", Data: big}})
	must(t, err)
	for _, tc := range []struct {
		name string
		c    *Changes
		opts []Option
		want string
	}{
		{"gzip", c, nil, "sha256:72f1dd8dfdf2488673b8d7adcff10f1962ca5526b9025739d228c4fbe2005e1b"},
		{"zstd", c, []Option{WithCompression(Zstd)}, "sha256:00d52fc3cf9fa328dc566b9a865957bdc0506f2aaf0691b7fd0a326c0cd962c0"},
		{"gzip-blocks", cbig, []Option{WithConcurrency(3)}, "sha256:a893f39f6260423cdafa9954aadf49890c9b363767a7a51e184d98b95df7adaf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := digestOf(t, mustWrite(t, tc.c, tc.opts...))
			if got != tc.want {
				t.Errorf("digest %s, pinned %s", got, tc.want)
			}
		})
	}
}

func TestWriteEmptyAndCancelled(t *testing.T) {
	l := mustWrite(t, &Changes{})
	if es := readLayer(t, l); len(es) != 0 {
		t.Fatalf("empty change set gave %v", names(es))
	}
	c, err := FromFiles(t.Context(), []File{{Path: "a", Data: []byte("x")}})
	must(t, err)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Write(ctx, c, dir); err == nil {
		t.Fatal("cancelled write succeeded")
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("cancelled write left %v", left)
	}
	if _, err := Write(t.Context(), c, dir, WithLevel(42)); err == nil {
		t.Fatal("gzip level 42 accepted")
	}
}

func TestChangesWithout(t *testing.T) {
	c, err := FromFiles(context.Background(), []File{{Path: "a", Data: []byte("1")}, {Path: "b", Kind: KindDir}, {Path: "c", Data: []byte("3")}})
	if err != nil {
		t.Fatal(err)
	}
	got := c.Without(func(e Entry) bool { return e.Kind == KindDir })
	var paths []string
	for _, e := range got.Entries() {
		paths = append(paths, e.Path)
	}
	if strings.Join(paths, " ") != "a c" || c.Len() != 3 {
		t.Errorf("Without kept %v (original %d entries)", paths, c.Len())
	}
}
