package builder

import (
	"archive/tar"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/internal/testutil"
)

// fixture is a build context with a Dockerfile, and a registry holding the
// busybox base image it builds on.
type fixture struct {
	dir   string
	cache string
	base  string // registry reference of the base image
}

func newFixture(t *testing.T, dockerfile string, files map[string]string) *fixture {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: RUN steps need root here (namespaces and overlayfs)")
	}
	base := registrytest.ServeBusybox(t)
	f := &fixture{dir: t.TempDir(), cache: t.TempDir(), base: base}
	f.write(t, "Dockerfile", strings.ReplaceAll(dockerfile, "BASE", base))
	for n, c := range files {
		f.write(t, n, c)
	}
	return f
}

func (f *fixture) write(t *testing.T, name, content string) {
	t.Helper()
	testutil.WriteFile(t, filepath.Join(f.dir, name), content)
}

func (f *fixture) build(t *testing.T, opts ...Option) *Result {
	t.Helper()
	res, err := Build(context.Background(), append([]Option{
		WithContextDir(f.dir), WithCacheDir(f.cache), WithEpoch(time.Unix(1700000000, 0)),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// files reads an image's flattened filesystem: path → content (files),
// "dir" for directories, "-> target" for symlinks.
func files(t *testing.T, img v1.Image) map[string]string {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	out := map[string]string{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			out[strings.TrimSuffix(h.Name, "/")] = "dir"
		case tar.TypeSymlink:
			out[h.Name] = "-> " + h.Linkname
		default:
			b, _ := io.ReadAll(tr)
			out[h.Name] = string(b)
		}
	}
}

const multiStage = `
FROM BASE AS build
WORKDIR /src
COPY . .
RUN mkdir -p /out && cat greeting.txt > /out/msg && echo built >> /out/msg && rm -f /tmp/nothing
FROM scratch
COPY --from=build /out/msg /msg
ENV GREETING=hello
CMD ["/msg"]
`

func TestBuildMultiStage(t *testing.T) {
	f := newFixture(t, multiStage, map[string]string{"greeting.txt": "hi\n", ".dockerignore": "secret.txt\n", "secret.txt": "no"})
	res := f.build(t)
	got := files(t, res.Image)
	if got["msg"] != "hi\nbuilt\n" || len(got) != 1 {
		t.Errorf("final image files = %v, want only msg", got)
	}
	cf, err := res.Image.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if !cf.Created.Time.Equal(time.Unix(1700000000, 0)) || cf.Config.Cmd[0] != "/msg" || !contains(cf.Config.Env, "GREETING=hello") {
		t.Errorf("config = %+v", cf)
	}
	var created []string
	for _, h := range cf.History {
		created = append(created, h.CreatedBy)
	}
	want := []string{"COPY /out/msg /msg # buildkit", "ENV GREETING=hello", `CMD ["/msg"]`}
	if strings.Join(created, "|") != strings.Join(want, "|") {
		t.Errorf("history = %q, want %q", created, want)
	}
	for _, s := range res.Steps {
		if s.Status != StatusDone && s.Layer != "" {
			t.Errorf("first build reused %v", s)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func digestOf(t *testing.T, img v1.Image) string {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func TestRebuildIsCachedAndMissesSayWhy(t *testing.T) {
	f := newFixture(t, multiStage, map[string]string{"greeting.txt": "hi\n", "other.txt": "x"})
	first := digestOf(t, f.build(t).Image)

	again := f.build(t)
	if digestOf(t, again.Image) != first {
		t.Fatal("an unchanged rebuild gave another digest")
	}
	for _, s := range again.Steps {
		if s.Status != StatusCached {
			t.Errorf("unchanged rebuild ran %s:%d %s (%s)", s.File, s.Line, s.Instruction, s.Reason)
		}
	}

	f.write(t, "greeting.txt", "hello\n")
	changed := f.build(t)
	reasons := map[string]string{}
	for _, s := range changed.Steps {
		reasons[strings.Fields(s.Instruction)[0]+" "+s.Stage] = string(s.Status) + ": " + s.Reason
	}
	if got := reasons["COPY build"]; got != "done: 1 file changed: greeting.txt" {
		t.Errorf("COPY . . = %q", got)
	}
	if got := reasons["RUN build"]; got != "done: an earlier step was rebuilt" {
		t.Errorf("RUN = %q", got)
	}
	if got := reasons["WORKDIR build"]; !strings.HasPrefix(got, "cached") {
		t.Errorf("WORKDIR = %q", got)
	}
	if files(t, changed.Image)["msg"] != "hello\nbuilt\n" {
		t.Error("the rebuilt image does not have the new content")
	}
}

func TestReproducibleAcrossDirectoriesAndTimes(t *testing.T) {
	ctxFiles := map[string]string{"greeting.txt": "hi\n", "sub/a.txt": "a"}
	df := strings.Replace(multiStage, "FROM scratch", "FROM BASE", 1)
	a := newFixture(t, df, ctxFiles)
	first := a.build(t)

	b := newFixture(t, df, ctxFiles)
	// Other directory, other cache, files written later with other times.
	later := time.Now().Add(time.Hour)
	for _, n := range []string{"greeting.txt", "sub/a.txt", "Dockerfile"} {
		if err := os.Chtimes(filepath.Join(b.dir, n), later, later); err != nil {
			t.Fatal(err)
		}
	}
	second := b.build(t)
	if digestOf(t, first.Image) != digestOf(t, second.Image) {
		t.Errorf("same inputs, different digests:\n%s\n%s", digestOf(t, first.Image), digestOf(t, second.Image))
	}
	// Without overlayfs (copy and compare) the result is the same image.
	c := newFixture(t, df, ctxFiles)
	third := c.build(t, func(o *options) { o.forceCopy = true })
	if digestOf(t, first.Image) != digestOf(t, third.Image) {
		t.Errorf("the copy-and-compare path gave another digest")
	}
}

func TestMissReasonNamesTheChangedArg(t *testing.T) {
	f := newFixture(t, "FROM BASE\nARG VERSION=1\nARG OTHER=x\nRUN echo $VERSION $OTHER > /v\n", nil)
	f.build(t, WithBuildArgs(map[string]string{"VERSION": "1.0"}))
	res := f.build(t, WithBuildArgs(map[string]string{"VERSION": "1.1"}))
	var reason string
	for _, s := range res.Steps {
		if strings.HasPrefix(s.Instruction, "RUN") {
			reason = s.Reason
		}
	}
	if reason != "variable VERSION changed" {
		t.Errorf("reason = %q, want %q", reason, "variable VERSION changed")
	}
	if got := files(t, res.Image)["v"]; got != "1.1 x\n" {
		t.Errorf("/v = %q", got)
	}
}

func TestSharedCacheThroughARegistry(t *testing.T) {
	f := newFixture(t, multiStage, map[string]string{"greeting.txt": "hi\n"})
	cacheRef, err := name.ParseReference(strings.Split(f.base, "/")[0] + "/ci/cache:main")
	if err != nil {
		t.Fatal(err)
	}
	first := f.build(t, WithCacheTo(cacheRef))

	// A fresh machine: empty local cache, the shared one from the registry.
	f.cache = t.TempDir()
	second := f.build(t, WithCacheFrom(cacheRef))
	if digestOf(t, first.Image) != digestOf(t, second.Image) {
		t.Fatal("building from the shared cache gave another image")
	}
	for _, s := range second.Steps {
		if s.Status != StatusCached {
			t.Errorf("%s ran although the shared cache has it (%s)", s.Instruction, s.Reason)
		}
	}
	// A cache reference that does not exist yet is a warning, not a failure.
	missing, _ := name.ParseReference(strings.Split(f.base, "/")[0] + "/ci/cache:none")
	f.cache = t.TempDir()
	third := f.build(t, WithCacheFrom(missing))
	if len(third.Warnings) == 0 || !strings.Contains(third.Warnings[0], "building without it") {
		t.Errorf("warnings = %q", third.Warnings)
	}
}

func TestNamedContextsReplaceImagesAndStages(t *testing.T) {
	df := "FROM upstream/base:1 AS base\nRUN echo from-base > /base.txt\nFROM scratch\nCOPY --from=base /base.txt /\nCOPY --from=extra /note.txt /\n"
	f := newFixture(t, df, nil)
	extra := t.TempDir()
	if err := os.WriteFile(filepath.Join(extra, "note.txt"), []byte("extra"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := f.build(t,
		WithNamedContext("upstream/base:1", NamedContext{Image: registrytest.BusyboxImage(t)}),
		WithNamedContext("extra", NamedContext{Dir: extra}))
	got := files(t, res.Image)
	if got["base.txt"] != "from-base\n" || got["note.txt"] != "extra" {
		t.Errorf("files = %v", got)
	}
}
