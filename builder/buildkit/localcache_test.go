package buildkit

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	build := func(addr string, opts ...builder.Option) *event.Recorder {
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
	first := "unix://" + filepath.Join(t.TempDir(), "a.sock")
	kill := startDaemon(t, first, nil)
	build(first, builder.WithLocalCacheTo(cacheDir))
	kill()
	if _, err := os.Stat(filepath.Join(cacheDir, "index.json")); err != nil {
		t.Fatalf("no cache in %s: %v", cacheDir, err)
	}
	fresh := "unix://" + filepath.Join(t.TempDir(), "b.sock")
	startDaemon(t, fresh, nil)
	rec := build(fresh, builder.WithLocalCacheFrom(cacheDir))
	var run *builder.StepReport
	steps := rec.Steps()
	for i, s := range steps {
		if strings.HasPrefix(s.Instruction, "RUN ") && s.Status != builder.StatusStarted {
			run = &steps[i]
		}
	}
	if run == nil || run.Status != builder.StatusCached {
		t.Errorf("RUN on a fresh daemon with type=local,src= = %+v; want it served from the local cache", run)
	}
}
