package sbom

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/publish"
)

// fixtureTime is the build time of every fixture image, so that their
// digests, and everything derived from them, never change.
var fixtureTime = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

const fixtureRepo = "ghcr.io/sreevishnu07/stevedore-fixture"

const osRelease = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
`

const dpkgStatus = `Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 12988
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.

Package: zlib1g
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 168
Maintainer: Mark Brown <broonie@debian.org>
Architecture: amd64
Multi-Arch: same
Source: zlib
Version: 1:1.2.13.dfsg-1
Depends: libc6 (>= 2.14)
Description: compression library - runtime
 zlib is a library implementing the deflate compression method found
 in gzip and PKZIP.

`

const apkInstalled = `C:Q1Zz7nq0yDxbR2RQ9U6MmjQAVxsAY=
P:musl
V:1.2.4-r2
A:x86_64
S:383152
I:622592
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Timo Teräs <timo.teras@iki.fi>
t:1681228881
c:c34b9b4ebc30c6b8c3a6ef4e5ab8e2dfc2ff80d1
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1OuOxYvzgg8pdd0EN0pv4ylWdwU8=
R:libc.musl-x86_64.so.1
a:0:0:777
Z:Q17yJ3JFNypA4mxhJJr0ou6CzsJVI=

`

const npmPackage = `{
  "name": "left-pad",
  "version": "1.3.0",
  "description": "String left pad",
  "license": "WTFPL"
}
`

const pythonMetadata = `Metadata-Version: 2.1
Name: six
Version: 1.16.0
Summary: Python 2 and 3 compatibility utilities
License: MIT
`

// tarFiles makes an uncompressed layer tar holding files (path → content),
// with parent directories and fixed metadata so the bytes never vary.
func tarFiles(t testing.TB, files map[string][]byte, mode int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	var names []string
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		var parents []string
		for d := path.Dir(n); d != "." && d != "/" && !dirs[d]; d = path.Dir(d) {
			dirs[d] = true
			parents = append(parents, d)
		}
		slices.Reverse(parents)
		for _, d := range parents {
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: strings.TrimPrefix(d, "/") + "/", Mode: 0o755, ModTime: fixtureTime, Format: tar.FormatPAX}); err != nil {
				t.Fatal(err)
			}
		}
		m := int64(0o644)
		if mode != 0 {
			m = mode
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(n, "/"), Mode: m, Size: int64(len(files[n])), ModTime: fixtureTime, Format: tar.FormatPAX}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(files[n]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// imageOf stacks the layers into a linux/amd64 OCI image built at fixtureTime.
func imageOf(t testing.TB, layers ...v1.Layer) v1.Image {
	t.Helper()
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err := mutate.ConfigFile(img, &v1.ConfigFile{
		Architecture: "amd64",
		OS:           "linux",
		Config:       v1.Config{Env: []string{"PATH=/usr/local/bin:/usr/bin:/bin"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		img, err = mutate.Append(img, mutate.Addendum{Layer: l, History: v1.History{Created: v1.Time{Time: fixtureTime}, CreatedBy: "stevedore test"}})
		if err != nil {
			t.Fatal(err)
		}
	}
	img, err = mutate.CreatedAt(img, v1.Time{Time: fixtureTime})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// osLayer holds a Debian release with two dpkg packages, an Alpine apk
// database with one, an npm package and a Python distribution. The layer is
// stored uncompressed so its digest cannot depend on a compressor's version.
func osLayer(t testing.TB) v1.Layer {
	t.Helper()
	return static.NewLayer(tarFiles(t, map[string][]byte{
		"/etc/os-release":                         []byte(osRelease),
		"/var/lib/dpkg/status":                    []byte(dpkgStatus),
		"/lib/apk/db/installed":                   []byte(apkInstalled),
		"/app/node_modules/left-pad/package.json": []byte(npmPackage),
		"/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA": []byte(pythonMetadata),
	}, 0), types.OCIUncompressedLayer)
}

// fixtureImage is the image the golden files describe.
func fixtureImage(t testing.TB) v1.Image {
	t.Helper()
	return imageOf(t, osLayer(t))
}

// viaLayout writes img to an OCI layout and loads it back the way the release
// does (publish.Load of oci:DIR:TAG), so Generate sees a layout-backed image.
func viaLayout(t testing.TB, img v1.Image) v1.Image {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "layout")
	registrytest.WriteLayout(t, dir, "v1", img)
	ref, err := publish.ParseReference(publish.LayoutPrefix + dir + ":v1")
	if err != nil {
		t.Fatal(err)
	}
	art, err := publish.Load(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if art.Image == nil {
		t.Fatalf("layout holds an index, want an image")
	}
	return art.Image
}

func fixtureRepository(t testing.TB) name.Repository {
	t.Helper()
	r, err := name.NewRepository(fixtureRepo)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// goBinary builds a static Go program that depends on golang.org/x/sync, so
// its build info lists a module, at the version this repository uses (which
// is therefore already in the module cache: no network is needed).
func goBinary(t testing.TB) (bin []byte, syncVersion string) {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go toolchain not on PATH")
	}
	out, err := exec.Command(gobin, "list", "-m", "-f", "{{.Version}}", "golang.org/x/sync").Output()
	if err != nil {
		t.Fatalf("finding golang.org/x/sync version: %v", err)
	}
	syncVersion = strings.TrimSpace(string(out))

	dir := t.TempDir()
	write := func(n, s string) {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/hello\n\ngo 1.22\n\nrequire golang.org/x/sync "+syncVersion+"\n")
	write("main.go", `package main

import "golang.org/x/sync/errgroup"

func main() {
	var g errgroup.Group
	g.Go(func() error { println("hello"); return nil })
	_ = g.Wait()
}
`)
	cmd := exec.Command(gobin, "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", "hello", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64",
		"GOFLAGS=-mod=mod", "GOPROXY=off", "GOSUMDB=off", "GOWORK=off", "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building test Go binary: %v\n%s", err, out)
	}
	bin, err = os.ReadFile(filepath.Join(dir, "hello"))
	if err != nil {
		t.Fatal(err)
	}
	return bin, syncVersion
}

// goImage is the fixture plus a gzip'd layer holding the Go binary.
func goImage(t testing.TB) (v1.Image, string) {
	t.Helper()
	bin, ver := goBinary(t)
	raw := tarFiles(t, map[string][]byte{"/usr/local/bin/hello": bin}, 0o755)
	// gzip'd, unlike the OS layer, so the compressed read path is covered too
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(raw)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		t.Fatal(err)
	}
	return imageOf(t, osLayer(t), l), ver
}
