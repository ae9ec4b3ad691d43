package buildkit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/internal/ghacachetest"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/internal/testutil"
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

// TestGHACacheV2: type=gha,version=2 passes through to the daemon as
// url_v2 and version=2, and BuildKit's gha backend talks to the v2 cache
// service (twirp, Azure blob URLs). On the shared daemon, whose local
// cache would hide an import, each build's records are pruned first (by
// the nonce in every step's description, the COPY's too: a cached later
// step would make the RUN look cached): what the driver exports, buildctl
// imports with the RUN step cached, and what buildctl exports, the driver
// imports.
func TestGHACacheV2(t *testing.T) {
	buildctl := buildctlPath(t)
	addr := daemonAddr(t)
	if os.Geteuid() != 0 {
		t.Skip("skipping: RUN steps need root here")
	}
	srv := ghacachetest.StartV2(t)
	nonce := fmt.Sprint(time.Now().UnixNano())
	ctxDir := t.TempDir()
	writeFiles(t, ctxDir, map[string]string{"Dockerfile": "FROM base AS build\nRUN echo built > /built-" + nonce + ".txt\nFROM base\nCOPY --from=build /built-" + nonce + ".txt /\n"})
	base := registrytest.BusyboxImage(t)
	gha := func(scope string) builder.GHACache {
		c, err := builder.ParseCache("type=gha,version=2,url_v2="+srv.URL+",token="+srv.Token+",scope="+scope+"-"+nonce+",timeout=1m", true)
		if err != nil || c.GHA == nil || !c.GHA.V2 {
			t.Fatalf("ParseCache: %+v, %v", c, err)
		}
		return *c.GHA
	}
	prune := func() {
		t.Helper()
		if out, err := exec.Command(buildctl, "--addr", addr, "prune", "--filter", "description~="+nonce).CombinedOutput(); err != nil {
			t.Fatalf("buildctl prune: %v\n%s", err, out)
		}
	}
	driverBuild := cacheTestBuilder(t, ctxDir, base)

	driverBuild(addr, builder.WithGHACacheTo(gha("driver")))
	var driverIndex bool
	for _, e := range srv.Entries() {
		driverIndex = driverIndex || (e.Finalized && strings.HasPrefix(e.Key, "index-driver-"+nonce+"-"))
	}
	if !driverIndex {
		t.Fatalf("the daemon wrote no finalized index for scope driver-%s to the v2 service: %+v", nonce, srv.Entries())
	}
	prune()

	baseDir, bd := baseLayout(t, base)
	cacheAttrs := "type=gha,version=2,url_v2=" + srv.URL + ",token=" + srv.Token
	// rawjson: plain progress may print a cached step whose layer is pulled
	// lazily as DONE rather than CACHED.
	cmd := exec.Command(buildctl, "--addr", addr, "build", "--progress=rawjson",
		"--frontend", "dockerfile.v0", "--local", "context="+ctxDir, "--local", "dockerfile="+ctxDir,
		"--oci-layout", "base="+baseDir, "--opt", "context:base=oci-layout://base@"+bd.String(),
		"--import-cache", cacheAttrs+",scope=driver-"+nonce, "--export-cache", cacheAttrs+",scope=buildctl-"+nonce+",mode=max")
	var progress, stdout strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &progress
	if err := cmd.Run(); err != nil {
		t.Fatalf("buildctl: %v\n%s", err, strings.ReplaceAll(progress.String(), srv.Token, "***"))
	}
	if !vertexCached(t, progress.String(), "RUN echo built > /built-"+nonce) {
		t.Errorf("buildctl with --import-cache type=gha,version=2,scope=driver ran the RUN step; want it from the cache the driver exported")
	}
	prune()

	run := runStep(driverBuild(addr, builder.WithGHACacheFrom(gha("buildctl"))))
	if run == nil || run.Status != builder.StatusCached {
		t.Errorf("RUN with cache-from type=gha,version=2,scope=buildctl = %+v; want it from the cache buildctl exported", run)
	}
}

// vertexCached: whether buildctl's rawjson progress reports a vertex
// whose name holds step as cached.
func vertexCached(t *testing.T, progress, step string) bool {
	t.Helper()
	for name, cached := range testutil.CachedVertices(t, progress) {
		if cached && strings.Contains(name, step) {
			return true
		}
	}
	return false
}
