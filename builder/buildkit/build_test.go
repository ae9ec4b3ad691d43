package buildkit

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/event"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/internal/testutil"
)

const defaultBuildctl = "/var/cache/stevedore-oracles/buildkit-v0.29.0/buildctl"

// buildctlPath finds BuildKit's own client, or skips.
func buildctlPath(t testing.TB) string {
	p := os.Getenv("STEVEDORE_TEST_BUILDCTL")
	if p == "" {
		p = defaultBuildctl
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("skipping: no buildctl at %s; build BuildKit v0.29 with .ci/oracles.sh (or set STEVEDORE_TEST_BUILDCTL)", p)
	}
	return p
}

// multiStage is a two-stage project on a busybox base given as a named
// context: build args, a RUN with output, a secret, COPY --from, labels.
var multiStage = map[string]string{
	"Dockerfile": `FROM base AS build
ARG GREETING=hi
WORKDIR /src
COPY hello.txt ./
RUN echo "building $GREETING" && echo "$GREETING from build" > out.txt && mkdir -p /opt/app && cp hello.txt /opt/app/
FROM base
LABEL org.example.stage=final
ENV APP=/opt/app
COPY --from=build /src/out.txt /opt/app/out.txt
COPY --from=build /opt/app/hello.txt /opt/app/
RUN --mount=type=secret,id=token wc -c < /run/secrets/token > /opt/app/token-length
USER 1000
CMD ["cat", "/opt/app/out.txt"]
`,
	"hello.txt":     "hello\n",
	".dockerignore": "ignored.txt\n",
	"ignored.txt":   "never in an image\n",
}

var writeFiles = testutil.WriteFiles

// TestBuildMatchesBuildctl builds the same multi-stage project through the
// driver and through buildctl --output type=oci against the same daemon:
// the image config and every layer's files must be the same.
func TestBuildMatchesBuildctl(t *testing.T) {
	checkBuildMatchesBuildctl(t, daemonAddr(t))
}

// checkBuildMatchesBuildctl is TestBuildMatchesBuildctl against the daemon
// at addr, whatever its scheme (buildctl dials it the same way).
func checkBuildMatchesBuildctl(t *testing.T, addr string) {
	buildctl := buildctlPath(t)
	base := registrytest.BusyboxImage(t)
	dir := t.TempDir()
	writeFiles(t, dir, multiStage)
	secret := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(secret, []byte("s3cret-token"), 0o600); err != nil {
		t.Fatal(err)
	}
	epoch := time.Unix(1700000000, 0).UTC()
	greeting := fmt.Sprintf("hello-%d", time.Now().UnixNano()) // a fresh build, not the daemon's cache
	// buildctl's own build first; the driver's build then runs every step
	// again (no cache), so both are built, not one read from the other's cache.
	baseDir, bd := baseLayout(t, base)
	oci := filepath.Join(t.TempDir(), "oci")
	cmd := exec.Command(buildctl, "--addr", addr, "build", "--progress=plain",
		"--frontend", "dockerfile.v0", "--local", "context="+dir, "--local", "dockerfile="+dir,
		"--oci-layout", "base="+baseDir, "--opt", "context:base=oci-layout://base@"+bd.String(),
		"--opt", "build-arg:GREETING="+greeting, "--opt", fmt.Sprintf("build-arg:SOURCE_DATE_EPOCH=%d", epoch.Unix()),
		"--secret", "id=token,src="+secret,
		"--output", "type=oci,tar=false,rewrite-timestamp=true,dest="+oci)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("buildctl: %v\n%s", err, b)
	}
	idx, err := layout.ImageIndexFromPath(oci)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil || len(im.Manifests) != 1 {
		t.Fatalf("buildctl's layout: %v, %v", im, err)
	}
	want, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}

	a, err := ParseAddress(addr)
	if err != nil {
		t.Fatal(err)
	}
	rec := &event.Recorder{}
	var out bytes.Buffer
	res, err := Build(context.Background(), a, nil,
		builder.WithContextDir(dir),
		builder.WithBuildArgs(map[string]string{"GREETING": greeting}),
		builder.WithNoCache(true),
		builder.WithNamedContext("base", builder.NamedContext{Image: base}),
		builder.WithSecrets(map[string]string{"token": secret}),
		builder.WithEpoch(epoch),
		builder.WithCacheDir(t.TempDir()),
		builder.WithProgress(rec),
		builder.WithOutput(&out),
	)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if res.Image == nil || res.Index != nil || len(res.Platforms) != 1 {
		t.Fatalf("result = image %v index %v, %d platforms; want one image", res.Image, res.Index, len(res.Platforms))
	}
	if !strings.Contains(out.String(), "building "+greeting) {
		t.Errorf("RUN output did not reach the output writer: %q", out.String())
	}
	var sawRun, sawDone bool
	for _, s := range rec.Steps() {
		if strings.HasPrefix(s.Instruction, "RUN ") && s.Stage == "build" && s.Line == 5 {
			sawRun = true
		}
		sawDone = sawDone || s.Status == builder.StatusDone
	}
	if !sawRun || !sawDone {
		t.Errorf("progress saw no RUN step of stage build at Dockerfile:5, or nothing done: %+v", rec.Steps())
	}

	gcf, err := res.Image.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	wcf, err := want.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gcf, wcf) {
		t.Errorf("config differs from buildctl's:\n  driver   %+v\n  buildctl %+v", gcf, wcf)
	}
	if gcf.Config.Labels["org.example.stage"] != "final" || gcf.Config.User != "1000" || !gcf.Created.Time.Equal(epoch) {
		t.Errorf("config = labels %v user %q created %v; want the Dockerfile's label and user, created at SOURCE_DATE_EPOCH", gcf.Config.Labels, gcf.Config.User, gcf.Created)
	}
	gl, wl := layerTrees(t, res.Image), layerTrees(t, want)
	if len(gl) != len(wl) {
		t.Fatalf("driver image has %d layers, buildctl's %d", len(gl), len(wl))
	}
	for i := range gl {
		if !reflect.DeepEqual(gl[i], wl[i]) {
			t.Errorf("layer %d differs:\n  driver   %v\n  buildctl %v", i, gl[i], wl[i])
		}
	}
	root := merged(gl)
	if _, ok := root["ignored.txt"]; ok {
		t.Error(".dockerignore'd file reached the image")
	}
	if e := root["opt/app/token-length"]; !strings.Contains(e, "file") {
		t.Errorf("opt/app/token-length = %q; want the file the secret RUN wrote", e)
	}
	gd, _ := res.Image.Digest()
	wd, _ := want.Digest()
	if gd != wd {
		// Same daemon, same inputs, same exporter options: nothing but the
		// client differs, so the manifests must be the same bytes.
		t.Errorf("driver image %s, buildctl's %s: want the same digest", gd, wd)
	}
}

// layerTrees lists each layer's entries: path → type, mode, owner, size,
// content sum, link and time (times are part of reproducibility here).
func layerTrees(t testing.TB, img v1.Image) []map[string]string {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.New()
			if _, err := io.Copy(sum, tr); err != nil {
				t.Fatal(err)
			}
			kind := map[byte]string{tar.TypeReg: "file", tar.TypeDir: "dir", tar.TypeSymlink: "symlink", tar.TypeLink: "hardlink"}[h.Typeflag]
			if kind == "" {
				kind = fmt.Sprintf("type %c", h.Typeflag)
			}
			m[strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/")] = fmt.Sprintf("%s %o %d:%d %d %x %s %d", kind, h.Mode, h.Uid, h.Gid, h.Size, sum.Sum(nil)[:6], h.Linkname, h.ModTime.Unix())
		}
		rc.Close()
		out = append(out, m)
	}
	return out
}

// Two platforms in one build come back as an index over two images, from
// BuildKit's own index bytes; a directory named context reaches COPY --from.
func TestBuildTwoPlatformsAndDirContext(t *testing.T) {
	a, err := ParseAddress(daemonAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	dir, extra := t.TempDir(), t.TempDir()
	writeFiles(t, dir, map[string]string{"Dockerfile": "FROM scratch\nARG TARGETARCH\nCOPY --from=extra /x.txt /x-${TARGETARCH}.txt\n"})
	writeFiles(t, extra, map[string]string{"x.txt": "extra\n"})
	res, err := Build(context.Background(), a, nil, builder.WithContextDir(dir), builder.WithCacheDir(t.TempDir()),
		builder.WithPlatforms(v1.Platform{OS: "linux", Architecture: "amd64"}, v1.Platform{OS: "linux", Architecture: "arm64"}),
		builder.WithNamedContext("extra", builder.NamedContext{Dir: extra}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Index == nil || len(res.Platforms) != 2 {
		t.Fatalf("result: index %v, %d platforms; want an index over 2", res.Index, len(res.Platforms))
	}
	for _, p := range res.Platforms {
		files := merged(layerTrees(t, p.Image))
		if _, ok := files["x-"+p.Platform.Architecture+".txt"]; !ok || len(files) != 1 {
			t.Errorf("%s: files %v", p.Platform, files)
		}
	}
	im, err := res.Index.IndexManifest()
	if err != nil || len(im.Manifests) != 2 {
		t.Fatalf("index manifest %+v, %v", im, err)
	}
}
