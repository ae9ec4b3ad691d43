package registrytest

import (
	"crypto/rand"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Image returns a random image of layers gzip'd tar layers of about size
// bytes each (go-containerregistry's random.Image).
func Image(t testing.TB, layers int, size int64) v1.Image {
	t.Helper()
	img, err := random.Image(size, int64(layers))
	if err != nil {
		t.Fatalf("generating image: %v", err)
	}
	return img
}

// BigImage returns an OCI image whose layers are size random bytes stored as
// is: not valid tarballs, but registries and layouts only move bytes, and
// skipping compression makes large benchmark images cheap to build.
func BigImage(t testing.TB, layers int, size int64) v1.Image {
	t.Helper()
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	for range layers {
		var err error
		img, err = mutate.AppendLayers(img, BigLayer(t, size))
		if err != nil {
			t.Fatalf("appending layer: %v", err)
		}
	}
	return img
}

// BigLayer is one layer of BigImage: size random bytes, stored as is.
func BigLayer(t testing.TB, size int64) v1.Layer {
	t.Helper()
	b := make([]byte, size)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random: %v", err)
	}
	return static.NewLayer(b, types.OCILayer)
}

// Platforms are the platforms Index gives its children.
var Platforms = []v1.Platform{
	{OS: "linux", Architecture: "amd64"},
	{OS: "linux", Architecture: "arm64", Variant: "v8"},
	{OS: "linux", Architecture: "arm", Variant: "v7"},
}

// Index returns a multi-platform OCI index with one random image per
// platform (up to len(Platforms)).
func Index(t testing.TB, platforms, layers int, size int64) v1.ImageIndex {
	t.Helper()
	var ii v1.ImageIndex = mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for i := range min(platforms, len(Platforms)) {
		p := Platforms[i]
		ii = mutate.AppendManifests(ii, mutate.IndexAddendum{
			Add:        Image(t, layers, size),
			Descriptor: v1.Descriptor{Platform: &p},
		})
	}
	return ii
}

// WriteLayout writes an image or index to an OCI layout at dir, listed in
// index.json with tag as its org.opencontainers.image.ref.name ("" for
// none), and returns its digest.
func WriteLayout(t testing.TB, dir, tag string, x any) v1.Hash {
	t.Helper()
	p, err := layout.FromPath(dir)
	if err != nil {
		if p, err = layout.Write(dir, empty.Index); err != nil {
			t.Fatalf("creating layout %s: %v", dir, err)
		}
	}
	var opts []layout.Option
	if tag != "" {
		opts = append(opts, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": tag}))
	}
	var h v1.Hash
	switch v := x.(type) {
	case v1.ImageIndex:
		err = p.AppendIndex(v, opts...)
		if err == nil {
			h, err = v.Digest()
		}
	case v1.Image:
		err = p.AppendImage(v, opts...)
		if err == nil {
			h, err = v.Digest()
		}
	default:
		t.Fatalf("WriteLayout: %T is neither image nor index", x)
	}
	if err != nil {
		t.Fatalf("writing layout %s: %v", dir, err)
	}
	return h
}
