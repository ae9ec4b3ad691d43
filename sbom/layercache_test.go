package sbom

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// gzipLayer makes a gzip'd layer of raw, as a build's layers are.
func gzipLayer(t testing.TB, raw []byte) v1.Layer {
	t.Helper()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(raw)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// uncachedDocs is the oracle: the whole image cataloged with no cache.
func uncachedDocs(t *testing.T, img v1.Image) map[Format][]byte {
	t.Helper()
	s, err := Generate(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	if s.LayerCache != (LayerCacheUse{}) {
		t.Errorf("without a cache directory: LayerCache = %+v", s.LayerCache)
	}
	return encodeEvery(t, s)
}

// primeBase catalogs an image on the base layers into cache, as the first
// release on them does: whole, marking them seen, so that the next image
// on them stores their catalog.
func primeBase(t *testing.T, cache string, base ...v1.Layer) {
	t.Helper()
	top := gzipLayer(t, tarFiles(t, map[string][]byte{"/etc/motd": []byte("first image on this base\n")}, 0))
	img := viaLayout(t, imageOf(t, append(slices.Clone(base), top)...))
	want := uncachedDocs(t, img)
	s, err := Generate(context.Background(), img, WithCacheDir(cache))
	if err != nil {
		t.Fatal(err)
	}
	if u := s.LayerCache; u.Stored || u.NewLayersOnly || !strings.Contains(u.Fallback, "first image on these base layers") {
		t.Fatalf("first image on a base: LayerCache = %+v; want it cataloged whole and the base marked seen", u)
	}
	sameDocs(t, "first image on a base", encodeEvery(t, s), want)
}

// An image whose base layers have a cached catalog and whose new layer
// holds only a Go binary is cataloged through the new layer alone, and its
// documents are byte for byte those of cataloging the whole image: first
// when the base entry is made by the same call, then for a second image on
// the same base, which finds it.
func TestLayerCacheNewLayersOnly(t *testing.T) {
	ctx := context.Background()
	bin, _ := goBinary(t)
	base := osLayer(t)
	cache := t.TempDir()
	primeBase(t, cache, base)
	for i, c := range []struct {
		name   string
		path   string
		stored bool
	}{
		{"second release, base cataloged now", "/usr/local/bin/hello", true},
		{"third release on the same base", "/app/hello-v2", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			img := viaLayout(t, imageOf(t, base, gzipLayer(t, tarFiles(t, map[string][]byte{c.path: bin}, 0o755))))
			want := uncachedDocs(t, img)
			s, err := Generate(ctx, img, WithCacheDir(cache))
			if err != nil {
				t.Fatal(err)
			}
			wantUse := LayerCacheUse{BaseLayers: 1, Stored: c.stored, NewLayersOnly: true}
			if s.FromCache || s.LayerCache != wantUse {
				t.Fatalf("image %d: FromCache = %v, LayerCache = %+v; want %+v", i, s.FromCache, s.LayerCache, wantUse)
			}
			sameDocs(t, c.name, encodeEvery(t, s), want)
			var goPkgs int
			for _, p := range s.Packages() {
				if p.Type == "go-module" {
					goPkgs++
				}
			}
			if goPkgs == 0 || s.Distro() != "debian 12" {
				t.Errorf("merged SBOM: %d Go modules, distro %q; want the binary's modules and debian 12", goPkgs, s.Distro())
			}
		})
	}
}

// debianLikeLayer is a base laid out as Debian's: /etc/os-release a link
// to /usr/lib/os-release, a dpkg database, and a /bin/busybox (as Alpine
// has) that release identification also asks for.
func debianLikeLayer(t testing.TB) v1.Layer {
	t.Helper()
	return static.NewLayer(rawTar(t,
		tarEntry{name: "bin/", typeflag: tar.TypeDir},
		tarEntry{name: "bin/busybox", typeflag: tar.TypeReg, body: "not a busybox\n"},
		tarEntry{name: "etc/", typeflag: tar.TypeDir},
		tarEntry{name: "etc/os-release", typeflag: tar.TypeSymlink, link: "../usr/lib/os-release"},
		tarEntry{name: "usr/", typeflag: tar.TypeDir},
		tarEntry{name: "usr/lib/", typeflag: tar.TypeDir},
		tarEntry{name: "usr/lib/os-release", typeflag: tar.TypeReg, body: osRelease},
		tarEntry{name: "var/", typeflag: tar.TypeDir},
		tarEntry{name: "var/lib/", typeflag: tar.TypeDir},
		tarEntry{name: "var/lib/dpkg/", typeflag: tar.TypeDir},
		tarEntry{name: "var/lib/dpkg/status", typeflag: tar.TypeReg, body: dpkgStatus},
	), types.OCIUncompressedLayer)
}

// On a Debian-like base (links in the base are fine, only new ones are
// not) a Go binary is cataloged alone too, byte for byte.
func TestLayerCacheDebianLikeBase(t *testing.T) {
	ctx := context.Background()
	bin, _ := goBinary(t)
	base := debianLikeLayer(t)
	cache := t.TempDir()
	primeBase(t, cache, base)
	for i, p := range []string{"/usr/local/bin/v1", "/usr/local/bin/v2"} {
		img := viaLayout(t, imageOf(t, base, gzipLayer(t, tarFiles(t, map[string][]byte{p: bin}, 0o755))))
		want := uncachedDocs(t, img)
		s, err := Generate(ctx, img, WithCacheDir(cache))
		if err != nil {
			t.Fatal(err)
		}
		if u := s.LayerCache; !u.NewLayersOnly || u.Stored != (i == 0) {
			t.Fatalf("image %d: LayerCache = %+v; want the new layer alone cataloged", i, u)
		}
		sameDocs(t, p, encodeEvery(t, s), want)
		if s.Distro() != "debian 12" {
			t.Errorf("distro %q, want debian 12", s.Distro())
		}
	}
}

// Upper layers that could change what the base's catalog says, or whose
// catalog syft could relate to the base's, make the whole image be
// cataloged; the documents are still the uncached ones, byte for byte.
func TestLayerCacheFallback(t *testing.T) {
	ctx := context.Background()
	bin, _ := goBinary(t)
	whiteout := func(p string) []byte {
		return rawTar(t, tarEntry{name: strings.TrimPrefix(p, "/"), typeflag: tar.TypeReg})
	}
	for _, c := range []struct {
		name   string
		layer  []byte
		reason string // in LayerCacheUse.Fallback
	}{
		{"whiteout of the apk database", whiteout("/lib/apk/db/.wh.installed"), "/lib/apk/db/installed"},
		{"whiteout of the dpkg database's directory", whiteout("/var/lib/.wh.dpkg"), "changes /var/lib/dpkg/"},
		{"new os-release", tarFiles(t, map[string][]byte{
			"/etc/os-release":      []byte("ID=alpine\nVERSION_ID=3.20.0\n"),
			"/usr/local/bin/hello": bin,
		}, 0), "/etc/os-release"},
		{"symlink", rawTar(t,
			tarEntry{name: "usr/local/bin/hello", typeflag: tar.TypeReg, body: string(bin)},
			tarEntry{name: "usr/bin/hello", typeflag: tar.TypeSymlink, link: "../local/bin/hello"},
		), "link at /usr/bin/hello"},
		{"npm package", tarFiles(t, map[string][]byte{
			"/srv/app/node_modules/is-even/package.json": []byte(`{"name": "is-even", "version": "1.0.0", "license": "MIT"}` + "\n"),
			"/usr/local/bin/hello":                       bin,
		}, 0), "searched for with **/package.json"},
	} {
		t.Run(c.name, func(t *testing.T) {
			img := viaLayout(t, imageOf(t, osLayer(t), gzipLayer(t, c.layer)))
			want := uncachedDocs(t, img)
			cache := t.TempDir()
			primeBase(t, cache, osLayer(t))
			s, err := Generate(ctx, img, WithCacheDir(cache))
			if err != nil {
				t.Fatal(err)
			}
			u := s.LayerCache
			if u.NewLayersOnly || u.BaseLayers != 1 || !u.Stored || !strings.Contains(u.Fallback, c.reason) {
				t.Fatalf("LayerCache = %+v; want a whole-image catalog because of %q", u, c.reason)
			}
			sameDocs(t, c.name, encodeEvery(t, s), want)
		})
	}
}

// A base of two layers serves an image with two new layers above it, and
// the entry is named by the base's ChainID.
func TestLayerCacheTwoNewLayers(t *testing.T) {
	ctx := context.Background()
	bin, _ := goBinary(t)
	base := []v1.Layer{osLayer(t), gzipLayer(t, tarFiles(t, map[string][]byte{"/usr/share/misc/notes.txt": []byte("base\n")}, 0))}
	app := gzipLayer(t, tarFiles(t, map[string][]byte{"/usr/local/bin/hello": bin}, 0o755))
	data := gzipLayer(t, tarFiles(t, map[string][]byte{"/srv/app/VERSION": []byte("2.0.0\n")}, 0))
	cache := t.TempDir()
	primeBase(t, cache, base...)

	first := viaLayout(t, imageOf(t, append(slices.Clone(base), app)...))
	s, err := Generate(ctx, first, WithCacheDir(cache))
	if err != nil {
		t.Fatal(err)
	}
	if u := s.LayerCache; !u.Stored || u.BaseLayers != 2 || !u.NewLayersOnly {
		t.Fatalf("first image: LayerCache = %+v; want the two base layers stored and the new layer alone cataloged", u)
	}
	cfg, err := first.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(cache, "sbom-layers"))
	if err != nil || len(entries) != 1 || entries[0].Name() != chainIDs(cfg.RootFS.DiffIDs)[1].Hex {
		t.Fatalf("sbom-layers holds %v (%v); want one entry named by the base's ChainID", entries, err)
	}

	second := viaLayout(t, imageOf(t, append(slices.Clone(base), app, data)...))
	want := uncachedDocs(t, second)
	s, err = Generate(ctx, second, WithCacheDir(cache))
	if err != nil {
		t.Fatal(err)
	}
	if u := s.LayerCache; u.Stored || u.BaseLayers != 2 || !u.NewLayersOnly {
		t.Fatalf("second image: LayerCache = %+v; want the cached two-layer base and the two new layers alone cataloged", u)
	}
	sameDocs(t, "two new layers", encodeEvery(t, s), want)
}

// A damaged base entry is not used: the base is cataloged again, the entry
// rewritten, and the documents are still the uncached ones.
func TestLayerCacheDamaged(t *testing.T) {
	ctx := context.Background()
	bin, _ := goBinary(t)
	cache := t.TempDir()
	release := func(p string) v1.Image {
		return viaLayout(t, imageOf(t, osLayer(t), gzipLayer(t, tarFiles(t, map[string][]byte{p: bin}, 0o755))))
	}
	primeBase(t, cache, osLayer(t))
	if _, err := Generate(ctx, release("/usr/local/bin/v1"), WithCacheDir(cache)); err != nil {
		t.Fatal(err)
	}
	catalogs, err := filepath.Glob(filepath.Join(cache, "sbom-layers", "*", "catalog.syft.json"))
	if err != nil || len(catalogs) != 1 {
		t.Fatalf("base catalogs: %v %v, want one", catalogs, err)
	}
	if err := os.WriteFile(catalogs[0], []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	img := release("/usr/local/bin/v2")
	want := uncachedDocs(t, img)
	s, err := Generate(ctx, img, WithCacheDir(cache))
	if err != nil {
		t.Fatal(err)
	}
	if u := s.LayerCache; !u.Stored || !u.NewLayersOnly {
		t.Fatalf("LayerCache = %+v; want the damaged base entry made again", u)
	}
	sameDocs(t, "after damage", encodeEvery(t, s), want)
}

// matchesGlob: files a new layer adds against the base's search patterns,
// with or without the leading slash the patterns are written for.
func TestMatchesGlob(t *testing.T) {
	globs := []string{"**/package.json", "**/libssl.so.3", "/usr/lib/os-release"}
	for _, c := range []struct {
		change layerChange
		want   string
	}{
		{layerChange{"/srv/node_modules/x/package.json", kindFile}, "**/package.json"},
		{layerChange{"/package.json", kindFile}, "**/package.json"},
		{layerChange{"/opt/vendor/libssl.so.3", kindFile}, "**/libssl.so.3"},
		{layerChange{"/usr/lib/os-release", kindFile}, "/usr/lib/os-release"},
		{layerChange{"/usr/local/bin/hello", kindFile}, ""},
		{layerChange{"/srv/package.json", kindDir}, ""},
		{layerChange{"/srv/package.json", kindWhiteout}, ""},
	} {
		g, ok := matchesGlob(c.change, globs)
		if g != c.want || ok != (c.want != "") {
			t.Errorf("matchesGlob(%v) = %q, %v; want %q", c.change, g, ok, c.want)
		}
	}
}

// tree.has counts a path reached through a link as present.
func TestTreeHas(t *testing.T) {
	tr := tree{"/lib": kindLink, "/etc": kindDir, "/etc/os-release": kindFile}
	for p, want := range map[string]bool{"/etc/os-release": true, "/lib/apk/db/installed": true, "/etc/passwd": false, "/usr/lib/x": false} {
		if got := tr.has(p); got != want {
			t.Errorf("has(%s) = %v, want %v", p, got, want)
		}
	}
}
