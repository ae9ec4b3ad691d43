package sbom

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// bigImage is the fixture's OS layer plus three gzip'd layers of 64 files of
// 256 KiB each: about 50 MB of layer content, like a small application image.
func bigImage(b *testing.B) (v1.Image, int64) {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	layers := []v1.Layer{osLayer(b)}
	var total int64
	for l := range 3 {
		files := map[string][]byte{}
		for f := range 64 {
			data := make([]byte, 256<<10)
			for i := range data {
				// half random, half repeated: compresses about as well as binaries do
				if i%2 == 0 {
					data[i] = byte(rng.Uint32())
				}
			}
			files[fmt.Sprintf("/opt/app%d/lib/file%03d.bin", l, f)] = data
			total += int64(len(data))
		}
		raw := tarFiles(b, files, 0)
		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(raw)), nil
		}, tarball.WithMediaType(types.OCILayer))
		if err != nil {
			b.Fatal(err)
		}
		layers = append(layers, layer)
	}
	return imageOf(b, layers...), total
}

// BenchmarkGenerateFromLayout catalogs a ~50 MB image read from an OCI layout,
// the release's normal path. Reported, never asserted.
func BenchmarkGenerateFromLayout(b *testing.B) {
	img, size := bigImage(b)
	img = viaLayout(b, img)
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Generate(context.Background(), img); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncode measures encoding the fixture SBOM in each format.
func BenchmarkEncode(b *testing.B) {
	s, err := Generate(context.Background(), viaLayout(b, fixtureImage(b)))
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range Formats() {
		b.Run(f.String(), func(b *testing.B) {
			for b.Loop() {
				if err := s.Encode(io.Discard, f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGenerateSmall catalogs the tiny fixture image: the fixed cost of a
// Generate call (syft's setup) rather than the cost per byte.
func BenchmarkGenerateSmall(b *testing.B) {
	img := viaLayout(b, fixtureImage(b))
	for b.Loop() {
		if _, err := Generate(context.Background(), img); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGenerateCached is BenchmarkGenerateSmall and
// BenchmarkGenerateFromLayout with WithCacheDir after a first Generate: an
// unchanged re-run, which reads the documents and no layer.
func BenchmarkGenerateCached(b *testing.B) {
	big, _ := bigImage(b)
	for _, c := range []struct {
		name string
		img  v1.Image
	}{{"small", fixtureImage(b)}, {"50MB", big}} {
		b.Run(c.name, func(b *testing.B) {
			img, cache := viaLayout(b, c.img), b.TempDir()
			if _, err := Generate(context.Background(), img, WithCacheDir(cache)); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				s, err := Generate(context.Background(), img, WithCacheDir(cache))
				if err != nil || !s.FromCache {
					b.Fatalf("FromCache = %v, err = %v", s != nil && s.FromCache, err)
				}
			}
		})
	}
}

// BenchmarkLayerCache catalogs the second release of an application on an
// unchanged base (the fixture's OS layer and a 16 MB layer of files) whose
// top layer is a Go binary: with no cache; with an empty cache directory
// (the first image on a base: cataloged whole, the base marked seen); with
// the base seen but not stored (the base is cataloged and stored, then the
// new layer); and with the base's catalog already cached, when only the
// new layer is cataloged. The whole-document cache is cleared before each
// Generate so that it never answers. Reported, never asserted.
func BenchmarkLayerCache(b *testing.B) {
	bin, _ := goBinary(b)
	rng := rand.New(rand.NewPCG(3, 4))
	files := map[string][]byte{}
	for f := range 64 {
		data := make([]byte, 256<<10)
		for i := 0; i < len(data); i += 2 {
			data[i] = byte(rng.Uint32())
		}
		files[fmt.Sprintf("/usr/lib/runtime/file%03d.bin", f)] = data
	}
	runtimeLayer := gzipLayer(b, tarFiles(b, files, 0))
	release := func(p string) v1.Image {
		return viaLayout(b, imageOf(b, osLayer(b), runtimeLayer, gzipLayer(b, tarFiles(b, map[string][]byte{p: bin}, 0o755))))
	}
	first, second := release("/usr/local/bin/app-v1"), release("/usr/local/bin/app-v2")
	ctx := context.Background()

	b.Run("uncached", func(b *testing.B) {
		for b.Loop() {
			if _, err := Generate(ctx, second); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("empty-cache", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			cache := b.TempDir()
			b.StartTimer()
			s, err := Generate(ctx, second, WithCacheDir(cache))
			if err != nil || s.LayerCache.Stored || s.LayerCache.NewLayersOnly {
				b.Fatalf("LayerCache = %+v, err = %v", s.LayerCache, err)
			}
		}
	})
	b.Run("base-seen", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			cache := b.TempDir()
			if _, err := Generate(ctx, first, WithCacheDir(cache)); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			s, err := Generate(ctx, second, WithCacheDir(cache))
			if err != nil || !s.LayerCache.Stored || !s.LayerCache.NewLayersOnly {
				b.Fatalf("LayerCache = %+v, err = %v", s.LayerCache, err)
			}
		}
	})
	b.Run("base-cached", func(b *testing.B) {
		cache := b.TempDir()
		for range 2 { // seen, then stored
			if err := os.RemoveAll(filepath.Join(cache, "sbom")); err != nil {
				b.Fatal(err)
			}
			if _, err := Generate(ctx, first, WithCacheDir(cache)); err != nil {
				b.Fatal(err)
			}
		}
		for b.Loop() {
			b.StopTimer()
			if err := os.RemoveAll(filepath.Join(cache, "sbom")); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			s, err := Generate(ctx, second, WithCacheDir(cache))
			if err != nil || s.LayerCache.Stored || !s.LayerCache.NewLayersOnly {
				b.Fatalf("LayerCache = %+v, err = %v", s.LayerCache, err)
			}
		}
	})
}
