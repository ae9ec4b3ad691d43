package builder

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/sreevishnu07/stevedore/internal/ghacachetest"
	"github.com/sreevishnu07/stevedore/internal/testutil"
)

// BuildKit v0.29's own gha backend is the oracle for the v2 test service:
// buildctl exports a build's cache to it (twirp calls, Azure block
// uploads), its records are pruned from the daemon, and a second build
// importing the scope finds every RUN step CACHED and pulls the layers
// back from the service's blob URLs. Only records of this test are pruned
// (their descriptions hold a nonce): the daemon is shared.
func TestGitHubActionsCacheV2BuildKitOracle(t *testing.T) {
	buildctl, addr := buildkitOracle(t)
	_, baseDir, baseDigest := busyboxLayout(t)
	srv := ghacachetest.StartV2(t)

	nonce := fmt.Sprint(time.Now().UnixNano())
	dir := t.TempDir()
	// /big is random, over azblob's 1 MiB block size even compressed, so
	// its layer is uploaded in blocks.
	dockerfile := "FROM " + oracleBase + "\n" +
		"RUN echo one-" + nonce + " > /one && head -c 2200000 /dev/urandom > /big\n" +
		"RUN echo two-" + nonce + " > /two && cat /one >> /two\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := "type=gha,version=2,url_v2=" + srv.URL + ",token=" + srv.Token + ",scope=oracle-" + nonce
	// build runs buildctl and returns its progress and the layers of the
	// image it wrote.
	build := func(progress string, cacheArgs ...string) (string, []v1.Hash) {
		t.Helper()
		dest := filepath.Join(t.TempDir(), "out")
		args := append([]string{"--addr", addr, "build", "--progress=" + progress,
			"--frontend", "dockerfile.v0", "--local", "context=" + dir, "--local", "dockerfile=" + dir,
			"--oci-layout", "base=" + baseDir,
			"--opt", "context:" + oracleBase + "=oci-layout://base@" + baseDigest.String(),
			"--output", "type=oci,tar=false,dest=" + dest}, cacheArgs...)
		var stdout, stderr strings.Builder
		cmd := exec.Command(buildctl, args...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("buildctl build: %v\n%s", err, strings.ReplaceAll(stderr.String(), srv.Token, "***"))
		}
		return stderr.String(), ociLayers(t, dest)
	}

	_, firstLayers := build("plain", "--export-cache", cache+",mode=max")
	var index, blobs, blocked int
	for _, e := range srv.Entries() {
		switch {
		case !e.Finalized:
			t.Errorf("BuildKit left entry %s unfinalized", e.Key)
		case strings.HasPrefix(e.Key, "index-oracle-"+nonce+"-"):
			index++
		case strings.HasPrefix(e.Key, "buildkit-blob-"):
			blobs++
			if e.Blocks > 1 {
				blocked++
			}
		}
	}
	if index != 1 || blobs < 2 || blocked == 0 {
		t.Fatalf("after --export-cache: %d index entries, %d blobs (%d uploaded in blocks); want 1 index, the RUN layers, one in blocks: %+v",
			index, blobs, blocked, srv.Entries())
	}

	if out, err := exec.Command(buildctl, "--addr", addr, "prune", "--filter", "description~="+nonce).CombinedOutput(); err != nil {
		t.Fatalf("buildctl prune: %v\n%s", err, out)
	}
	if left := records(t, buildctl, addr, "description~="+nonce); len(left) != 0 {
		t.Fatalf("buildctl prune left this test's records %q: the import below would prove nothing", left)
	}
	before := downloads(srv)
	// rawjson: BuildKit's own record of which vertices were cached (plain
	// progress may show a cached step whose layer is pulled lazily during
	// the export as DONE, not CACHED).
	out, secondLayers := build("rawjson", "--import-cache", cache)
	cached := testutil.CachedVertices(t, out)
	for _, step := range []string{"one", "two"} {
		name := "RUN echo " + step + "-" + nonce
		hit := false
		for v, c := range cached {
			hit = hit || (c && strings.HasPrefix(v, name+" "))
		}
		if !hit {
			t.Errorf("%s was not CACHED by --import-cache type=gha,version=2,...; cached: %v", name, cached)
		}
	}
	// /big is random: a step that ran again would give other layers.
	if !slices.Equal(firstLayers, secondLayers) {
		t.Errorf("layers of the imported build %v differ from the first build's %v: a step ran again", secondLayers, firstLayers)
	}
	after := downloads(srv)
	var fetched []string
	for key, n := range after {
		if n > before[key] {
			fetched = append(fetched, key)
		}
	}
	t.Logf("the second build downloaded %q", fetched)
	var gotIndex, gotBlob bool
	for _, k := range fetched {
		gotIndex = gotIndex || strings.HasPrefix(k, "index-oracle-"+nonce+"-")
		gotBlob = gotBlob || strings.HasPrefix(k, "buildkit-blob-")
	}
	if !gotIndex || !gotBlob {
		t.Errorf("the second build downloaded %q; want the scope's index and layers (its records were pruned)", fetched)
	}
	// The daemon's records of those layers are the ones it imported.
	for _, k := range fetched {
		if d, ok := strings.CutPrefix(k, "buildkit-blob-1-"); ok {
			if got := records(t, buildctl, addr, `description~="imported `+d+`"`); len(got) == 0 {
				t.Errorf("no record imported %s after the second build", d)
			}
		}
	}
}

// records are the descriptions of the daemon's cache records matching a
// buildctl du filter.
func records(t *testing.T, buildctl, addr, filter string) []string {
	t.Helper()
	out, err := exec.Command(buildctl, "--addr", addr, "du", "--filter", filter, "--format", "{{json .}}").Output()
	if err != nil {
		t.Fatalf("buildctl du --filter %s: %v", filter, err)
	}
	var recs []struct{ Description string }
	if err := json.Unmarshal(out, &recs); err != nil {
		t.Fatalf("buildctl du: %v\n%s", err, out)
	}
	var desc []string
	for _, r := range recs {
		desc = append(desc, r.Description)
	}
	return desc
}

// downloads is how many bytes of each entry's blob were served.
func downloads(srv *ghacachetest.V2Server) map[string]int64 {
	m := map[string]int64{}
	for _, e := range srv.Entries() {
		m[e.Key] = e.Downloaded
	}
	return m
}

// ociLayers are the layer digests of the one image in an OCI layout.
func ociLayers(t *testing.T, dir string) []v1.Hash {
	t.Helper()
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil || len(im.Manifests) != 1 {
		t.Fatalf("buildctl's OCI layout: %v, %v", im, err)
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	var out []v1.Hash
	for _, l := range m.Layers {
		out = append(out, l.Digest)
	}
	return out
}
