package builder

// Nothing leaves the root: build inputs that point outside the context or a
// root filesystem (../ paths, absolute paths, symlinks, hard links, archive
// and layer entries) must either be refused or land inside. A sentinel
// directory outside every root is checked after each case.

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

const sentinelContent = "SENTINEL: outside every root\n"

// outsideDir is a directory outside the context and every root filesystem
// that no build may change or read.
type outsideDir struct {
	dir    string
	before map[string]snap
}

type snap struct {
	mode    fs.FileMode
	content string
	mtime   time.Time
}

func newOutside(t *testing.T) *outsideDir {
	t.Helper()
	o := &outsideDir{dir: t.TempDir()}
	if err := os.WriteFile(filepath.Join(o.dir, "sentinel"), []byte(sentinelContent), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(o.dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	old := time.Unix(1500000000, 0)
	for _, p := range []string{"sentinel", "sub", "."} {
		if err := os.Chtimes(filepath.Join(o.dir, p), old, old); err != nil {
			t.Fatal(err)
		}
	}
	o.before = o.snapshot(t)
	return o
}

// rel is the outside directory as a path inside an image (no leading /).
func (o *outsideDir) rel() string { return strings.TrimPrefix(o.dir, "/") }

func (o *outsideDir) snapshot(t *testing.T) map[string]snap {
	t.Helper()
	out := map[string]snap{}
	err := filepath.Walk(o.dir, func(p string, fi fs.FileInfo, err error) error {
		if err != nil {
			return err
		}
		s := snap{mode: fi.Mode(), mtime: fi.ModTime()}
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			s.content = string(b)
		}
		out[strings.TrimPrefix(p, o.dir)] = s
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// check fails the test if anything in the outside directory changed.
func (o *outsideDir) check(t *testing.T) {
	t.Helper()
	after := o.snapshot(t)
	for p, a := range after {
		b, ok := o.before[p]
		switch {
		case !ok:
			t.Errorf("ESCAPE: the build created %s outside every root", filepath.Join(o.dir, p))
		case a.content != b.content || a.mode != b.mode:
			t.Errorf("ESCAPE: the build changed %s outside every root", filepath.Join(o.dir, p))
		case !a.mtime.Equal(b.mtime):
			t.Errorf("ESCAPE: the build touched %s outside every root (mtime %v, was %v)", filepath.Join(o.dir, p), a.mtime, b.mtime)
		}
	}
	for p := range o.before {
		if _, ok := after[p]; !ok {
			t.Errorf("ESCAPE: the build removed %s outside every root", filepath.Join(o.dir, p))
		}
	}
}

// tarEntry is one entry of a crafted archive or layer.
type tarEntry struct {
	name     string
	typ      byte
	data     string
	linkname string
	mode     int64
}

func makeTar(t *testing.T, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.linkname, Mode: e.mode, ModTime: time.Unix(1600000000, 0)}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
			if h.Typeflag == tar.TypeDir {
				h.Mode = 0o755
			}
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(e.data)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pushWithLayer pushes busybox plus one crafted layer as REGISTRY/evil/NAME:1.
func pushWithLayer(t *testing.T, f *fixture, repo string, entries []tarEntry) string {
	t.Helper()
	data := makeTar(t, entries)
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.Append(registrytest.BusyboxImage(t), mutate.Addendum{Layer: l, History: v1.History{CreatedBy: "crafted layer"}})
	if err != nil {
		t.Fatal(err)
	}
	host, _, _ := strings.Cut(f.base, "/")
	ref := host + "/evil/" + repo + ":1"
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	return ref
}

type escapeCase struct {
	name       string
	dockerfile string // BASE: busybox; OUT: the outside directory (absolute); EVIL: pushed image
	files      map[string]string
	setup      func(t *testing.T, f *fixture, out *outsideDir) (evil string)
	// refuse: the build must fail with an error containing this.
	refuse string
	// check: the build must succeed; check looks at the image's files.
	check func(t *testing.T, out *outsideDir, got map[string]string)
	// either: the build may fail or succeed; on success check runs.
	either bool
}

func noSentinelContent(t *testing.T, got map[string]string) {
	t.Helper()
	for p, c := range got {
		if c == sentinelContent {
			t.Errorf("ESCAPE: the image's %s holds the content of the sentinel outside the context", p)
		}
	}
}

var escapeCases = []escapeCase{
	{
		name:       "COPY ../x is the context's x",
		dockerfile: "FROM scratch\nCOPY ../x /got\n",
		files:      map[string]string{"x": "inside\n"},
		setup: func(t *testing.T, f *fixture, out *outsideDir) string {
			// The context's parent holds an x too: it must not be read.
			if err := os.WriteFile(filepath.Join(filepath.Dir(f.dir), "x"), []byte(sentinelContent), 0o644); err != nil {
				t.Fatal(err)
			}
			return ""
		},
		check: func(t *testing.T, out *outsideDir, got map[string]string) {
			if got["got"] != "inside\n" {
				t.Errorf("/got = %q, want the context's x", got["got"])
			}
		},
	},
	{
		name:       "COPY of an absolute source path is relative to the context",
		dockerfile: "FROM scratch\nCOPY /x OUT/sentinel /got/\n",
		files:      map[string]string{"x": "inside\n"},
		refuse:     "no such file or directory in the build context",
	},
	{
		name:       "COPY of an absolute source path inside the context",
		dockerfile: "FROM scratch\nCOPY /x /got\n",
		files:      map[string]string{"x": "inside\n"},
		check: func(t *testing.T, out *outsideDir, got map[string]string) {
			if got["got"] != "inside\n" {
				t.Errorf("/got = %q, want the context's x", got["got"])
			}
		},
	},
	{
		name:       "a context symlink to a file outside, inside a copied directory, stays a link",
		dockerfile: "FROM scratch\nCOPY . /all/\n",
		setup:      linkOutsideFile,
		check: func(t *testing.T, out *outsideDir, got map[string]string) {
			want := "-> " + filepath.Join(out.dir, "sentinel")
			if got["all/link"] != want {
				t.Errorf("/all/link = %q, want the link itself (%q)", got["all/link"], want)
			}
		},
	},
	{
		// As BuildKit, a source that is a link is followed inside the
		// context, where OUT/sentinel does not exist.
		name:       "a context symlink to a file outside named as a source",
		dockerfile: "FROM scratch\nCOPY link /l\n",
		setup:      linkOutsideFile,
		refuse:     "not in the build context",
	},
	{
		name:       "a context symlink to a directory outside named as a source",
		dockerfile: "FROM scratch\nCOPY dirlink /dl\n",
		setup:      linkOutsideDir,
		refuse:     "not in the build context",
	},
	{
		// BuildKit resolves the link inside the context, where OUT/sentinel
		// does not exist.
		name:       "COPY through a context symlink to a directory outside",
		dockerfile: "FROM scratch\nCOPY dirlink/sentinel /got\n",
		setup:      linkOutsideDir,
		refuse:     "no such file or directory",
	},
	{
		// The link resolves inside the context, where nothing matches: as in
		// BuildKit the wildcard selects nothing and the image gets no file.
		name:       "COPY through a context symlink to a directory outside, by wildcard",
		dockerfile: "FROM scratch\nCOPY dirlink/sent* /got/\n",
		setup:      linkOutsideDir,
		check: func(t *testing.T, out *outsideDir, got map[string]string) {
			noSentinelContent(t, got)
			if len(got) != 0 {
				t.Errorf("image files = %v, want none", got)
			}
		},
	},
	{
		name:       "RUN --mount=type=bind of a context symlink to a directory outside",
		dockerfile: "FROM BASE\nRUN --mount=type=bind,source=dirlink,target=/m cat /m/sentinel > /got || echo none > /got\n",
		setup:      linkOutsideDir,
		either:     true,
		check: func(t *testing.T, out *outsideDir, got map[string]string) {
			noSentinelContent(t, got)
		},
	},
	{
		// The stage's /esc links to OUT, which the stage also has: COPY
		// --from must read the stage's OUT/sentinel, not the host's.
		name: "COPY --from a stage through an absolute symlink in the stage",
		dockerfile: `FROM BASE AS stage
RUN mkdir -p OUT && echo in-stage > OUT/sentinel && ln -s OUT /esc && ln -s ../../../../../../../../../..OUT /esc2
FROM scratch
COPY --from=stage /esc/sentinel /got
COPY --from=stage /esc2/sentinel /got2
`,
		check: func(t *testing.T, out *outsideDir, got map[string]string) {
			noSentinelContent(t, got)
			if got["got"] != "in-stage\n" || got["got2"] != "in-stage\n" {
				t.Errorf("/got = %q, /got2 = %q, want the stage's file (in-stage)", got["got"], got["got2"])
			}
		},
	},
	{
		name:       "ADD of an archive with a ../ entry",
		dockerfile: "FROM scratch\nADD evil.tar /dest/\n",
		setup: archive([]tarEntry{
			{name: "ok.txt", data: "ok\n"},
			{name: "../../../../../../../../../../OUT/evil", data: "evil\n"},
		}),
		refuse: "climbs out",
	},
	{
		name:       "ADD of an archive with an absolute entry",
		dockerfile: "FROM scratch\nADD evil.tar /dest/\n",
		setup:      archive([]tarEntry{{name: "/OUT/abs-evil", data: "evil\n"}}),
		check: func(t *testing.T, out *outsideDir, got map[string]string) {
			if got["dest/"+out.rel()+"/abs-evil"] != "evil\n" {
				t.Errorf("the absolute entry is not under /dest: %v", keys(got))
			}
		},
	},
	{
		name:       "ADD of an archive with a symlink to / and a file through it",
		dockerfile: "FROM scratch\nADD evil.tar /dest/\n",
		setup: archive([]tarEntry{
			{name: "esc", typ: tar.TypeSymlink, linkname: "/"},
			{name: "esc/OUT/through", data: "evil\n"},
			{name: "up", typ: tar.TypeSymlink, linkname: "../../../../../../../../../.."},
			{name: "up/OUT/through-up", data: "evil\n"},
		}),
		check: func(t *testing.T, out *outsideDir, got map[string]string) {
			if got["dest/esc"] != "-> /" {
				t.Errorf("/dest/esc = %q, want the link", got["dest/esc"])
			}
			if got["dest/"+out.rel()+"/through"] != "evil\n" || got["dest/"+out.rel()+"/through-up"] != "evil\n" {
				t.Errorf("files written through links are not under /dest: %v", keys(got))
			}
		},
	},
	{
		name:       "ADD of an archive with a hard link to a path outside",
		dockerfile: "FROM scratch\nADD evil.tar /dest/\n",
		setup: archive([]tarEntry{
			{name: "hl", typ: tar.TypeLink, linkname: "/OUT/sentinel"},
		}),
		either: true,
		check: func(t *testing.T, out *outsideDir, got map[string]string) {
			noSentinelContent(t, got)
		},
	},
	{
		name:       "ADD of an archive with a hard link climbing out",
		dockerfile: "FROM scratch\nADD evil.tar /dest/\n",
		setup: archive([]tarEntry{
			{name: "hl", typ: tar.TypeLink, linkname: "../../../../../../../../../../OUT/sentinel"},
		}),
		refuse: "climbs out",
	},
	{
		name:       "ADD of an archive with a hard link through a symlink to /",
		dockerfile: "FROM scratch\nADD evil.tar /dest/\n",
		setup: archive([]tarEntry{
			{name: "esc", typ: tar.TypeSymlink, linkname: "/"},
			{name: "hl", typ: tar.TypeLink, linkname: "esc/OUT/sentinel"},
		}),
		either: true,
		check: func(t *testing.T, out *outsideDir, got map[string]string) {
			noSentinelContent(t, got)
		},
	},
	{
		name:       "a base layer with a ../ entry",
		dockerfile: "FROM EVIL\nRUN true\n",
		setup: layerImage([]tarEntry{
			{name: "../../../../../../../../../../OUT/layer-evil", data: "evil\n"},
		}),
		refuse: "climbs out",
	},
	{
		name:       "a base layer with absolute entries and a symlink to /",
		dockerfile: "FROM EVIL\nRUN cat /esc/OUT/through /OUT/abs > /got\n",
		setup: layerImage([]tarEntry{
			{name: "/OUT/abs", data: "abs\n"},
			{name: "esc", typ: tar.TypeSymlink, linkname: "/"},
			{name: "esc/OUT/through", data: "through\n"},
		}),
		check: func(t *testing.T, out *outsideDir, got map[string]string) {
			if got["got"] != "through\nabs\n" {
				t.Errorf("/got = %q, want both files read inside the image", got["got"])
			}
		},
	},
	{
		name:       "a base layer with a hard link to a path outside",
		dockerfile: "FROM EVIL\nRUN cat /hl > /got || echo none > /got\n",
		setup: layerImage([]tarEntry{
			{name: "hl", typ: tar.TypeLink, linkname: "/OUT/sentinel"},
		}),
		either: true,
		check: func(t *testing.T, out *outsideDir, got map[string]string) {
			noSentinelContent(t, got)
		},
	},
	{
		name:       "COPY --from a base image through its symlink to /",
		dockerfile: "FROM scratch\nCOPY --from=EVIL /esc/OUT/sentinel /got\n",
		// The image has its own OUT/sentinel; the host's must not be read.
		setup: layerImage([]tarEntry{
			{name: "esc", typ: tar.TypeSymlink, linkname: "/"},
			{name: "OUT/sentinel", data: "the image's\n"},
		}),
		check: func(t *testing.T, out *outsideDir, got map[string]string) {
			noSentinelContent(t, got)
			if got["got"] != "the image's\n" {
				t.Errorf("/got = %q, want the image's file", got["got"])
			}
		},
	},
	{
		name: "legitimate relative links inside an image still extract",
		dockerfile: `FROM EVIL
RUN cat /lib/libx.so /lib/through.txt /var/run/pid && /usr/bin/head -n1 /etc/passwd && echo ok > /got
`,
		setup: layerImage([]tarEntry{
			{name: "usr/", typ: tar.TypeDir},
			{name: "usr/lib/", typ: tar.TypeDir},
			{name: "usr/lib/libx.so.1", data: "lib\n"},
			{name: "usr/lib/libx.so", typ: tar.TypeSymlink, linkname: "libx.so.1"},
			{name: "lib", typ: tar.TypeSymlink, linkname: "usr/lib"},
			{name: "lib/through.txt", data: "through\n"},
			{name: "run/", typ: tar.TypeDir},
			{name: "var/", typ: tar.TypeDir},
			{name: "var/run", typ: tar.TypeSymlink, linkname: "../run"},
			{name: "var/run/pid", data: "1\n"},
			{name: "usr/bin/", typ: tar.TypeDir},
			{name: "usr/bin/head", typ: tar.TypeLink, linkname: "bin/busybox"},
		}),
		check: func(t *testing.T, out *outsideDir, got map[string]string) {
			// The RUN read every file through the links (it fails
			// otherwise); the links stay links.
			if got["got"] != "ok\n" || got["lib"] != "-> usr/lib" || got["var/run"] != "-> ../run" || got["usr/lib/libx.so"] != "-> libx.so.1" {
				t.Errorf("relative links did not extract as links inside the image: got=%q lib=%q var/run=%q usr/lib/libx.so=%q",
					got["got"], got["lib"], got["var/run"], got["usr/lib/libx.so"])
			}
		},
	},
}

func linkOutsideFile(t *testing.T, f *fixture, out *outsideDir) string {
	if err := os.Symlink(filepath.Join(out.dir, "sentinel"), filepath.Join(f.dir, "link")); err != nil {
		t.Fatal(err)
	}
	return ""
}

func linkOutsideDir(t *testing.T, f *fixture, out *outsideDir) string {
	t.Helper()
	if err := os.Symlink(out.dir, filepath.Join(f.dir, "dirlink")); err != nil {
		t.Fatal(err)
	}
	return ""
}

// archive writes evil.tar into the context, OUT in names replaced.
func archive(entries []tarEntry) func(*testing.T, *fixture, *outsideDir) string {
	return func(t *testing.T, f *fixture, out *outsideDir) string {
		t.Helper()
		data := makeTar(t, withOut(entries, out))
		if err := os.WriteFile(filepath.Join(f.dir, "evil.tar"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		return ""
	}
}

// layerImage pushes busybox plus a crafted layer; EVIL names it.
func layerImage(entries []tarEntry) func(*testing.T, *fixture, *outsideDir) string {
	return func(t *testing.T, f *fixture, out *outsideDir) string {
		t.Helper()
		return pushWithLayer(t, f, "layer", withOut(entries, out))
	}
}

func withOut(entries []tarEntry, out *outsideDir) []tarEntry {
	res := append([]tarEntry(nil), entries...)
	for i := range res {
		res[i].name = strings.ReplaceAll(res[i].name, "OUT", out.rel())
		res[i].linkname = strings.ReplaceAll(res[i].linkname, "OUT", out.rel())
	}
	return res
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestNothingLeavesTheRoot(t *testing.T) {
	for _, c := range escapeCases {
		t.Run(c.name, func(t *testing.T) {
			out := newOutside(t)
			f := newFixture(t, "FROM scratch\n", c.files)
			evil := ""
			if c.setup != nil {
				evil = c.setup(t, f, out)
			}
			df := strings.ReplaceAll(c.dockerfile, "BASE", f.base)
			df = strings.ReplaceAll(df, "EVIL", evil)
			df = strings.ReplaceAll(df, "OUT", out.dir)
			f.write(t, "Dockerfile", df)
			// The parent's x (see the first case) is outside too.
			parentX := filepath.Join(filepath.Dir(f.dir), "x")
			before, _ := os.ReadFile(parentX)

			res, err := Build(context.Background(), WithContextDir(f.dir), WithCacheDir(f.cache), WithEpoch(time.Unix(1700000000, 0)))
			out.check(t)
			if after, _ := os.ReadFile(parentX); !bytes.Equal(before, after) {
				t.Errorf("ESCAPE: the build changed %s", parentX)
			}
			switch {
			case c.refuse != "" && err == nil:
				got := files(t, res.Image)
				noSentinelContent(t, got)
				t.Errorf("the build succeeded; want it refused with an error containing %q (image files: %v)", c.refuse, keys(got))
			case c.refuse != "":
				if !strings.Contains(err.Error(), c.refuse) {
					t.Errorf("error = %v, want one containing %q", err, c.refuse)
				}
			case err != nil && c.either:
				t.Logf("refused: %v", err)
			case err != nil:
				t.Errorf("the build failed; want it to keep everything inside: %v", err)
			default:
				c.check(t, out, files(t, res.Image))
			}
		})
	}
}
