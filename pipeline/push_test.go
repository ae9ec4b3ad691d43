package pipeline

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/internal/faultproxy"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/publish"
)

// A release of several images built on one base: the push step runs for
// all of them at once, and the base's layer reaches the registry in one
// upload; the other repositories get it without its bytes being sent again.
func TestReleasePushesSharedBaseOnce(t *testing.T) {
	const images = 4
	base := registrytest.ServeBusybox(t)
	dir := t.TempDir()
	var y strings.Builder
	y.WriteString("images:\n")
	for i := range images {
		n := fmt.Sprintf("svc%d", i)
		writeFile(t, filepath.Join(dir, n, "Dockerfile"), "FROM "+base+"\nCOPY own.txt /own.txt\n")
		writeFile(t, filepath.Join(dir, n, "own.txt"), n+"\n")
		fmt.Fprintf(&y, "  - name: %s\n    context: %s\n    destinations: [PROXY/acme/%s]\n", n, n, n)
	}
	gitIn(t, dir, "init", "-q", "-b", "main")
	gitIn(t, dir, "add", ".")
	gitIn(t, dir, "commit", "-q", "-m", "feat: services")
	px := faultproxy.New(t, "http://"+registrytest.InProcess(t), nil)
	cfg, err := Parse([]byte(strings.ReplaceAll(y.String(), "PROXY", px.Host)), "stevedore.yaml", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := testSigner(t)
	rep, err := Release(context.Background(), cfg, releaseOpts(t, dir, signer, WithPublishOptions(publish.WithJobs(2)))...)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Ledger.Images) != images {
		t.Fatalf("%d images released", len(rep.Ledger.Images))
	}
	layers, err := registrytest.BusyboxImage(t).Layers()
	if err != nil {
		t.Fatal(err)
	}
	h, _ := layers[0].Digest()
	commits := 0
	for _, e := range px.Entries() {
		if e.Method == http.MethodPut && e.Kind == faultproxy.KindBlobUpload && strings.Contains(e.Query, strings.ReplaceAll(h.String(), ":", "%3A")) {
			commits++
		}
	}
	if commits != 1 {
		t.Errorf("the base layer %s was uploaded %d times, want 1", h, commits)
	}
	size, _ := layers[0].Size()
	if n := px.BytesIn(http.MethodPatch, faultproxy.KindBlobUpload); n >= 2*size {
		t.Errorf("%d blob bytes sent for %d images on a %d-byte base: the base went more than once", n, images, size)
	}
	for _, li := range rep.Ledger.Images {
		if d, ok := headDigest(t, px.Host+"/acme/"+li.Name+":latest"); !ok || d.String() != li.Digest {
			t.Errorf("%s:latest = %v %v, want %s", li.Name, d, ok, li.Digest)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "dist/release.json")); err != nil {
		t.Errorf("ledger: %v", err)
	}
}
