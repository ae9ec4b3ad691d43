package buildkit

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/internal/ghacachetest"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// TestGHACache: type=gha passes through to the daemon, which talks to
// the cache service itself. BuildKit's own client is the oracle: what the
// driver exports, buildctl on a fresh daemon imports (and the RUN step is
// cached), and what buildctl exports, the driver imports.
func TestGHACache(t *testing.T) {
	buildctl := buildctlPath(t)
	srv := ghacachetest.Start(t)
	ctxDir := t.TempDir()
	writeFiles(t, ctxDir, map[string]string{"Dockerfile": "FROM base AS build\nRUN echo built > /built.txt\nFROM base\nCOPY --from=build /built.txt /\n"})
	base := registrytest.BusyboxImage(t)
	gha := func(scope string) builder.GHACache {
		return builder.GHACache{Scope: scope, URL: srv.URL, Token: srv.Token, Timeout: time.Minute}
	}
	driverBuild := cacheTestBuilder(t, ctxDir, base)

	first := "unix://" + filepath.Join(t.TempDir(), "a.sock")
	kill := startDaemon(t, first, nil)
	driverBuild(first, builder.WithGHACacheTo(gha("driver")))
	kill()

	// buildctl on a fresh daemon: reads the driver's scope, writes its own.
	second := "unix://" + filepath.Join(t.TempDir(), "b.sock")
	kill = startDaemon(t, second, nil)
	baseDir, bd := baseLayout(t, base)
	cacheAttrs := "type=gha,url=" + srv.URL + ",token=" + srv.Token
	out, err := exec.Command(buildctl, "--addr", second, "build", "--progress=plain",
		"--frontend", "dockerfile.v0", "--local", "context="+ctxDir, "--local", "dockerfile="+ctxDir,
		"--oci-layout", "base="+baseDir, "--opt", "context:base=oci-layout://base@"+bd.String(),
		"--import-cache", cacheAttrs+",scope=driver", "--export-cache", cacheAttrs+",scope=buildctl,mode=max").CombinedOutput()
	if err != nil {
		t.Fatalf("buildctl: %v\n%s", err, out)
	}
	step := regexp.MustCompile(`(?m)^#(\d+) \[build \d/\d\] RUN echo built`).FindSubmatch(out)
	if step == nil || !strings.Contains(string(out), "\n#"+string(step[1])+" CACHED") {
		t.Errorf("buildctl with --import-cache type=gha,scope=driver ran the RUN step; want it from the cache the driver exported:\n%s", out)
	}
	kill()

	third := "unix://" + filepath.Join(t.TempDir(), "c.sock")
	startDaemon(t, third, nil)
	run := runStep(driverBuild(third, builder.WithGHACacheFrom(gha("buildctl"))))
	if run == nil || run.Status != builder.StatusCached {
		t.Errorf("RUN on a fresh daemon with cache-from type=gha,scope=buildctl = %+v; want it from the cache buildctl exported", run)
	}
}
