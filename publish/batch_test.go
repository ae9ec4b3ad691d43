package publish

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/sreevishnu07/stevedore/internal/faultproxy"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// sharedBaseImages returns n images that share one base layer of baseSize
// random bytes and each add a small layer of their own.
func sharedBaseImages(t testing.TB, n int, baseSize int64) ([]v1.Image, v1.Hash) {
	t.Helper()
	base := registrytest.BigImage(t, 1, baseSize)
	ls, err := base.Layers()
	if err != nil {
		t.Fatal(err)
	}
	baseDigest, err := ls[0].Digest()
	if err != nil {
		t.Fatal(err)
	}
	imgs := make([]v1.Image, n)
	for i := range imgs {
		b := make([]byte, 4096)
		_, _ = rand.Read(b)
		if imgs[i], err = mutate.AppendLayers(base, static.NewLayer(b, types.OCILayer)); err != nil {
			t.Fatal(err)
		}
	}
	return imgs, baseDigest
}

// commitsOf counts upload commits (PUT …?digest=) of blob h: one per full
// upload of its bytes.
func commitsOf(px *faultproxy.Proxy, h v1.Hash) int {
	n := 0
	for _, e := range px.Entries() {
		if e.Method == http.MethodPut && e.Kind == faultproxy.KindBlobUpload && strings.Contains(e.Query, strings.ReplaceAll(h.String(), ":", "%3A")) && e.Status == http.StatusCreated {
			n++
		}
	}
	return n
}

// Twenty images sharing a large base, each to its own repository on two
// registries in one run: the base goes over the wire once per registry
// (the others find it with a HEAD on go-containerregistry's registry,
// which shares blobs across repositories, and mount it on Distribution),
// no more than --jobs uploads run at once, and every tag lands.
func TestPublishAllUploadsASharedBlobOncePerRegistry(t *testing.T) {
	ctx := testCtx(t)
	const images, jobs = 20, 3
	const baseSize = 4 << 20
	imgs, base := sharedBaseImages(t, images, baseSize)

	// A slow PATCH makes uploads overlap, so the limit is exercised.
	slow := faultproxy.Rule{Method: http.MethodPatch, Delay: 20 * time.Millisecond}
	ggcr := faultproxy.New(t, "http://"+registrytest.InProcess(t), nil, slow)
	d := registrytest.StartDistribution(t)
	dist := faultproxy.New(t, "https://"+d.Host, d.Transport, slow)
	opts := []Option{WithJobs(jobs), WithKeychain(Keychain("", map[string]authn.AuthConfig{dist.Host: {Username: d.Username, Password: d.Password}}))}

	var all []Job
	for i, img := range imgs {
		art, err := NewArtifact(img)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, Job{Artifact: art, Tags: []string{"v1"}, Destinations: []Reference{
			mustRef(t, fmt.Sprintf("%s/app%02d", ggcr.Host, i)),
			mustRef(t, fmt.Sprintf("%s/team/app%02d", dist.Host, i)),
		}})
	}
	res, err := PublishAll(ctx, all, opts...)
	if err != nil {
		t.Fatalf("PublishAll: %v", err)
	}
	if len(res) != images {
		t.Fatalf("%d results, want %d", len(res), images)
	}

	for _, px := range []*faultproxy.Proxy{ggcr, dist} {
		if n := commitsOf(px, base); n != 1 {
			t.Errorf("%s: base layer uploaded %d times, want exactly 1", px.Host, n)
		}
		// The base once, plus 20 small layers and configs.
		if n := px.BytesIn(http.MethodPatch, faultproxy.KindBlobUpload); n < baseSize || n > baseSize+images*64<<10 {
			t.Errorf("%s: %d blob bytes uploaded, want the %d-byte base once plus small layers", px.Host, n, baseSize)
		}
		if n := px.MaxInFlight(http.MethodPatch, faultproxy.KindBlobUpload); n > jobs {
			t.Errorf("%s: %d uploads at once, want at most --jobs %d", px.Host, n, jobs)
		} else {
			t.Logf("%s: at most %d uploads at once", px.Host, n)
		}
	}
	mounts := 0
	for _, e := range dist.Entries() {
		if e.Method == http.MethodPost && strings.Contains(e.Query, "mount="+strings.ReplaceAll(base.String(), ":", "%3A")) && e.Status == http.StatusCreated {
			mounts++
		}
	}
	if mounts != images-1 {
		t.Errorf("Distribution: %d mounts of the base, want %d (every repository but the first)", mounts, images-1)
	}

	distAuth := remote.WithAuth(&authn.Basic{Username: d.Username, Password: d.Password})
	for i, j := range all {
		if got, ok := remoteDigest(t, fmt.Sprintf("%s/app%02d:v1", ggcr.Host, i)); !ok || got != j.Artifact.Digest() {
			t.Errorf("app%02d:v1 on go-containerregistry = %v %v, want %s", i, got, ok, j.Artifact.Digest())
		}
		if got, ok := remoteDigest(t, fmt.Sprintf("%s/team/app%02d:v1", dist.Host, i), distAuth); !ok || got != j.Artifact.Digest() {
			t.Errorf("team/app%02d:v1 on Distribution = %v %v, want %s", i, got, ok, j.Artifact.Digest())
		}
	}
}

// One image's destination refuses the push: the run stops (the others are
// cancelled), the error names that destination, and no image gets its tag
// anywhere, not even those whose content had fully arrived.
func TestPublishAllFailureMovesNoTag(t *testing.T) {
	ctx := testCtx(t)
	const images = 20
	imgs, _ := sharedBaseImages(t, images, 1<<20)
	host := registrytest.InProcess(t)
	px := faultproxy.New(t, "http://"+host, nil,
		faultproxy.Rule{Method: http.MethodPut, Path: regexp.MustCompile(`^/v2/app13/manifests/`), Status: http.StatusForbidden})
	var all []Job
	for i, img := range imgs {
		art, err := NewArtifact(img)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, Job{Artifact: art, Tags: []string{"v1"}, Destinations: []Reference{mustRef(t, fmt.Sprintf("%s/app%02d", px.Host, i))}})
	}
	_, err := PublishAll(ctx, all, WithJobs(4), fast)
	if !errors.Is(err, ErrDenied) {
		t.Fatalf("PublishAll = %v, want ErrDenied", err)
	}
	if !strings.Contains(err.Error(), "app13") || !strings.Contains(err.Error(), "no tags were moved") {
		t.Errorf("error should name app13 and say no tag moved: %v", err)
	}
	for _, e := range px.Entries() {
		if e.Method == http.MethodPut && e.Kind == faultproxy.KindManifest && !strings.Contains(e.Path, "/manifests/sha256:") {
			t.Errorf("a tag was written: PUT %s", e.Path)
		}
	}
	for i := range all {
		if _, ok := remoteDigest(t, fmt.Sprintf("%s/app%02d:v1", host, i)); ok {
			t.Errorf("app%02d:v1 exists after a failed run", i)
		}
	}
}

// Several images into one OCI layout at once: index.json is rewritten by
// one writer at a time, so every image ends up listed with its tag.
func TestPublishAllIntoOneLayout(t *testing.T) {
	ctx := testCtx(t)
	imgs, _ := sharedBaseImages(t, 6, 64<<10)
	dir := t.TempDir()
	var all []Job
	for i, img := range imgs {
		art, err := NewArtifact(img)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, Job{Artifact: art, Destinations: []Reference{mustRef(t, fmt.Sprintf("oci:%s:img%d", dir, i))}})
	}
	if _, err := PublishAll(ctx, all, WithJobs(4)); err != nil {
		t.Fatalf("PublishAll: %v", err)
	}
	for i, j := range all {
		a, err := Load(ctx, mustRef(t, fmt.Sprintf("oci:%s:img%d", dir, i)))
		if err != nil {
			t.Fatalf("img%d: %v", i, err)
		}
		if a.Digest() != j.Artifact.Digest() {
			t.Errorf("img%d = %s, want %s", i, a.Digest(), j.Artifact.Digest())
		}
	}
}

// countingLayer counts how often its compressed bytes are opened.
type countingLayer struct {
	v1.Layer
	mu    sync.Mutex
	opens int
}

func (l *countingLayer) Compressed() (io.ReadCloser, error) {
	l.mu.Lock()
	l.opens++
	l.mu.Unlock()
	return l.Layer.Compressed()
}

// The shared base is read from its source once per registry however many
// images use it: each upload streams it, and the other pushes never open
// it (a HEAD or a mount needs no bytes).
func TestPublishAllReadsASharedLayerOncePerRegistry(t *testing.T) {
	ctx := testCtx(t)
	base := &countingLayer{Layer: registrytest.BigLayer(t, 1<<20)}
	regs := []string{registrytest.InProcess(t), registrytest.InProcess(t)}
	var all []Job
	for i := range 10 {
		img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), base, registrytest.BigLayer(t, 1024))
		if err != nil {
			t.Fatal(err)
		}
		art, err := NewArtifact(img)
		if err != nil {
			t.Fatal(err)
		}
		var dsts []Reference
		for _, r := range regs {
			dsts = append(dsts, mustRef(t, fmt.Sprintf("%s/app%d", r, i)))
		}
		all = append(all, Job{Artifact: art, Destinations: dsts})
	}
	if _, err := PublishAll(ctx, all, WithJobs(4)); err != nil {
		t.Fatal(err)
	}
	if base.opens != len(regs) {
		t.Errorf("the shared layer was opened %d times, want %d (once per registry)", base.opens, len(regs))
	}
}
