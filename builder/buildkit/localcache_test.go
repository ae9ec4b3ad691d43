package buildkit

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/event"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// TestLocalCache: type=local,dest=DIR exports BuildKit's cache to a
// directory on this machine (the BuildKit client writes it, as buildx); a
// fresh daemon with type=local,src=DIR runs none of the steps.
func TestLocalCache(t *testing.T) {
	cacheDir := filepath.Join(t.TempDir(), "buildcache")
	ctxDir := t.TempDir()
	writeFiles(t, ctxDir, map[string]string{"Dockerfile": "FROM base AS build\nRUN echo built > /built.txt\nFROM base\nCOPY --from=build /built.txt /\n"})
	base := registrytest.BusyboxImage(t)
	build := cacheTestBuilder(t, ctxDir, base)
	first := "unix://" + filepath.Join(t.TempDir(), "a.sock")
	kill := startDaemon(t, first, nil)
	build(first, builder.WithLocalCacheTo(cacheDir))
	kill()
	if _, err := os.Stat(filepath.Join(cacheDir, "index.json")); err != nil {
		t.Fatalf("no cache in %s: %v", cacheDir, err)
	}
	fresh := "unix://" + filepath.Join(t.TempDir(), "b.sock")
	startDaemon(t, fresh, nil)
	run := runStep(build(fresh, builder.WithLocalCacheFrom(cacheDir)))
	if run == nil || run.Status != builder.StatusCached {
		t.Errorf("RUN on a fresh daemon with type=local,src= = %+v; want it served from the local cache", run)
	}
}

// cacheTestBuilder builds ctxDir with base as its "base" stage, through the
// daemon at an address, with a fresh cache directory each time.
func cacheTestBuilder(t *testing.T, ctxDir string, base v1.Image) func(addr string, opts ...builder.Option) *event.Recorder {
	return func(addr string, opts ...builder.Option) *event.Recorder {
		t.Helper()
		a, _ := ParseAddress(addr)
		rec := &event.Recorder{}
		_, err := Build(context.Background(), a, nil, append([]builder.Option{builder.WithContextDir(ctxDir), builder.WithCacheDir(t.TempDir()),
			builder.WithNamedContext("base", builder.NamedContext{Image: base}), builder.WithProgress(rec)}, opts...)...)
		if err != nil {
			t.Fatalf("build on %s: %v", addr, err)
		}
		return rec
	}
}

// runStep is the report that ended the build's RUN step, nil without one.
func runStep(rec *event.Recorder) *builder.StepReport {
	var run *builder.StepReport
	steps := rec.Steps()
	for i, s := range steps {
		if strings.HasPrefix(s.Instruction, "RUN ") && s.Status != builder.StatusStarted {
			run = &steps[i]
		}
	}
	return run
}

// baseLayout writes base to an OCI layout for buildctl --oci-layout.
func baseLayout(t *testing.T, base v1.Image) (dir string, digest v1.Hash) {
	dir = t.TempDir()
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(base); err != nil {
		t.Fatal(err)
	}
	digest, _ = base.Digest()
	return dir, digest
}
