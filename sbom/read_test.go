package sbom

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/publish"
)

// countingImage counts how often each layer's content is opened.
type countingImage struct {
	v1.Image
	opens map[v1.Hash]*atomic.Int32
}

type countingLayer struct {
	v1.Layer
	n *atomic.Int32
}

func (l countingLayer) Compressed() (io.ReadCloser, error) {
	l.n.Add(1)
	return l.Layer.Compressed()
}

func (l countingLayer) Uncompressed() (io.ReadCloser, error) {
	l.n.Add(1)
	return l.Layer.Uncompressed()
}

func (c countingImage) wrap(l v1.Layer) (v1.Layer, error) {
	d, err := l.Digest()
	if err != nil {
		return nil, err
	}
	n, ok := c.opens[d]
	if !ok {
		n = new(atomic.Int32)
		c.opens[d] = n
	}
	return countingLayer{Layer: l, n: n}, nil
}

func (c countingImage) Layers() ([]v1.Layer, error) {
	ls, err := c.Image.Layers()
	if err != nil {
		return nil, err
	}
	out := make([]v1.Layer, len(ls))
	for i, l := range ls {
		if out[i], err = c.wrap(l); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (c countingImage) LayerByDigest(h v1.Hash) (v1.Layer, error) {
	l, err := c.Image.LayerByDigest(h)
	if err != nil {
		return nil, err
	}
	return c.wrap(l)
}

func (c countingImage) LayerByDiffID(h v1.Hash) (v1.Layer, error) {
	l, err := c.Image.LayerByDiffID(h)
	if err != nil {
		return nil, err
	}
	return c.wrap(l)
}

// TestGenerateReadsEachLayerOnce: the layers of the image in hand are read
// in one pass, each opened exactly once, whatever the catalogers look at.
func TestGenerateReadsEachLayerOnce(t *testing.T) {
	img, _ := goImage(t)
	ci := countingImage{Image: viaLayout(t, img), opens: map[v1.Hash]*atomic.Int32{}}
	if _, err := Generate(context.Background(), ci); err != nil {
		t.Fatal(err)
	}
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		d, _ := l.Digest()
		n, ok := ci.opens[d]
		if !ok || n.Load() != 1 {
			got := int32(0)
			if ok {
				got = n.Load()
			}
			t.Errorf("layer %s opened %d times, want 1", d, got)
		}
	}
}

// blobCounter counts blob downloads by digest.
type blobCounter struct {
	mu    sync.Mutex
	blobs map[string]int
}

func (c *blobCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodGet {
		if _, d, ok := strings.Cut(req.URL.Path, "/blobs/"); ok {
			c.mu.Lock()
			c.blobs[d]++
			c.mu.Unlock()
		}
	}
	return http.DefaultTransport.RoundTrip(req)
}

// TestGenerateFromRegistry: an image the caller loaded from a registry is
// cataloged with one download of each layer and nothing else fetched again.
func TestGenerateFromRegistry(t *testing.T) {
	ctx := context.Background()
	img := fixtureImage(t)
	dir := filepath.Join(t.TempDir(), "layout")
	registrytest.WriteLayout(t, dir, "v1", img)
	src, err := publish.ParseReference(publish.LayoutPrefix + dir + ":v1")
	if err != nil {
		t.Fatal(err)
	}
	host := registrytest.InProcess(t)
	dst, err := publish.ParseReference(host + "/team/app")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := publish.Publish(ctx, src, []publish.Reference{dst}, []string{"v1"}); err != nil {
		t.Fatal(err)
	}

	counter := &blobCounter{blobs: map[string]int{}}
	ref, err := publish.ParseReference(host + "/team/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	art, err := publish.Load(ctx, ref, publish.WithTransport(counter))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Generate(ctx, art.Image, WithRepository(ref.Repository()))
	if err != nil {
		t.Fatal(err)
	}
	if want := host + "/team/app@" + art.Digest().String(); s.Name() != want {
		t.Errorf("Name() = %q, want %q", s.Name(), want)
	}
	ls, _ := img.Layers()
	for _, l := range ls {
		d, _ := l.Digest()
		if n := counter.blobs[d.String()]; n != 1 {
			t.Errorf("layer %s downloaded %d times, want 1", d, n)
		}
	}
	for d, n := range counter.blobs {
		if n > 1 {
			t.Errorf("blob %s downloaded %d times", d, n)
		}
	}
}
