package pipeline

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/builder/buildkit"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/ledger"
	"github.com/sreevishnu07/stevedore/sign"
)

// buildkitAddr is the test daemon (.ci/buildkitd.sh), or a skip.
func buildkitAddr(t *testing.T) string {
	addr := os.Getenv("STEVEDORE_TEST_BUILDKIT_ADDR")
	if addr == "" {
		addr = "unix:///run/stevedore-buildkit/buildkitd.sock"
	}
	a, err := buildkit.ParseAddress(addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := buildkit.Check(context.Background(), a, nil, 5*time.Second)
	if err != nil {
		t.Skipf("skipping: no BuildKit daemon (start one with .ci/buildkitd.sh or set STEVEDORE_TEST_BUILDKIT_ADDR): %v", err)
	}
	c.Close()
	return addr
}

// A release through a BuildKit daemon is the same transaction as with the
// embedded builder: tags on the built digest, SBOMs, signatures and SBOM
// attestations that verify, the ledger; and the images hold the same files.
func TestReleaseThroughBuildKit(t *testing.T) {
	addr := buildkitAddr(t)
	dir := repo(t)
	reg := registrytest.InProcess(t)
	signer, verifier := testSigner(t)
	rep, err := Release(context.Background(), config(t, reg+"/bk/IMAGE"), releaseOpts(t, dir, signer, WithBuilder(addr, nil))...)
	if err != nil {
		t.Fatal(err)
	}
	for _, pi := range rep.Plan.Images {
		if pi.Builder != addr {
			t.Errorf("plan: image %s builder = %q, want %s", pi.Name, pi.Builder, addr)
		}
	}
	rec, err := ledger.Read(filepath.Join(dir, "dist/release.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Images) != 2 {
		t.Fatalf("ledger = %+v", rec)
	}
	ctx := context.Background()
	for _, li := range rec.Images {
		d, ok := headDigest(t, reg+"/bk/"+li.Name+":1.1.0")
		if !ok || d.String() != li.Digest {
			t.Errorf("%s:1.1.0 = %v (found %v), ledger says %s", li.Name, d, ok, li.Digest)
		}
		if len(li.SBOMs) != 1 {
			t.Fatalf("%s: SBOMs = %+v", li.Name, li.SBOMs)
		}
		if _, err := os.Stat(li.SBOMs[0].Path); err != nil {
			t.Errorf("%s: SBOM file: %v", li.Name, err)
		}
		subject, _ := name.NewDigest(reg + "/bk/" + li.Name + "@" + li.Digest)
		if _, err := sign.Verify(ctx, subject, sign.WithKey(verifier), sign.WithIgnoreTlog(true)); err != nil {
			t.Errorf("%s: signature: %v", li.Name, err)
		}
		if _, err := sign.VerifyAttestation(ctx, subject, sign.PredicateSPDXJSON, sign.WithKey(verifier), sign.WithIgnoreTlog(true)); err != nil {
			t.Errorf("%s: SBOM attestation: %v", li.Name, err)
		}
	}

	// The same commit through the embedded builder: the same files.
	emb, err := Release(ctx, config(t, reg+"/emb/IMAGE"), releaseOpts(t, dir, signer)...)
	if err != nil {
		t.Fatal(err)
	}
	for i, li := range emb.Ledger.Images {
		bk := rep.Ledger.Images[i]
		got, want := rootfs(t, reg+"/bk/"+bk.Name+"@"+bk.Digest), rootfs(t, reg+"/emb/"+li.Name+"@"+li.Digest)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: BuildKit's files %v, embedded %v", li.Name, got, want)
		}
		t.Logf("%s: BuildKit %s, embedded %s (same digest: %v)", li.Name, bk.Digest, li.Digest, bk.Digest == li.Digest)
	}
}

// rootfs flattens a pushed image: path → type, mode, owner, content sum.
func rootfs(t *testing.T, ref string) map[string]string {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r)
	if err != nil {
		t.Fatal(err)
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	out := map[string]string{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.New()
		io.Copy(sum, tr)
		out[strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/")] = fmt.Sprintf("%c %o %d:%d %x", h.Typeflag, h.Mode, h.Uid, h.Gid, sum.Sum(nil)[:6])
	}
}

// A builder that cannot be used fails the plan step, naming the address
// and the setting, before anything is built or pushed.
func TestBadBuilderFailsThePlan(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "tcp://" + l.Addr().String()
	l.Close()
	dir := repo(t)
	reg := registrytest.InProcess(t)
	signer, _ := testSigner(t)
	for _, c := range []struct {
		addr     string
		sentinel error
	}{
		{closed, buildkit.ErrUnreachable},
		{"ssh://builder.example", buildkit.ErrBadAddress},
	} {
		_, err := Release(context.Background(), config(t, reg+"/acme/IMAGE"), releaseOpts(t, dir, signer, WithBuilder(c.addr, nil))...)
		var se *StepError
		if !errors.As(err, &se) || se.Step != StepPlan || !errors.Is(err, c.sentinel) {
			t.Errorf("builder %s: err = %v; want a plan-step error wrapping %v", c.addr, err, c.sentinel)
			continue
		}
		if !strings.Contains(err.Error(), c.addr) || !strings.Contains(err.Error(), "--builder") {
			t.Errorf("builder %s: error %q does not name the address and --builder", c.addr, err)
		}
		if _, ok := headDigest(t, reg+"/acme/app:1.1.0"); ok {
			t.Errorf("builder %s: a tag was pushed", c.addr)
		}
	}
	// An unknown scheme in stevedore.yaml is a configuration error at its line.
	_, err = Parse([]byte("builder: ssh://x\nimages:\n  - name: app\n"), "stevedore.yaml", func(string) (string, bool) { return "", false })
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Line != 1 || !strings.Contains(err.Error(), "unknown scheme") {
		t.Errorf("builder: ssh://x: err = %v; want a configuration error at line 1", err)
	}
	_, err = Parse([]byte("images:\n  - name: app\n    platforms: [linux/amd64]\n    platform-builders:\n      linux/arm64: unix:///b.sock\n"), "stevedore.yaml", func(string) (string, bool) { return "", false })
	if !errors.As(err, &ce) || ce.Line != 5 || !strings.Contains(err.Error(), "not in the image's platforms") {
		t.Errorf("platform-builders for a platform not built: err = %v; want a configuration error at line 5", err)
	}
}

// One image, two platforms, two builders: linux/arm64 on the BuildKit
// daemon, linux/amd64 embedded, merged into one signed index. When one
// builder fails, the release fails in the build step and no tag moves.
func TestPlatformBuilders(t *testing.T) {
	addr := buildkitAddr(t)
	dir := repo(t)
	writeFile(t, filepath.Join(dir, "app/Dockerfile"), "FROM scratch\nARG TARGETARCH\nCOPY hello.txt /hello-${TARGETARCH}.txt\n")
	gitIn(t, dir, "add", ".")
	gitIn(t, dir, "commit", "-q", "-m", "feat: per-arch names")
	reg := registrytest.InProcess(t)
	signer, verifier := testSigner(t)
	y := "images:\n  - name: app\n    context: app\n    platforms: [linux/amd64, linux/arm64]\n" +
		"    platform-builders: {linux/arm64: " + addr + "}\n    destinations: [" + reg + "/acme/app]\n"
	cfg, err := Parse([]byte(y), "stevedore.yaml", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Release(context.Background(), cfg, releaseOpts(t, dir, signer)...)
	if err != nil {
		t.Fatal(err)
	}
	pi := rep.Plan.Images[0]
	if pi.Builder != buildkit.Embedded || pi.PlatformBuilders["linux/arm64"] != addr {
		t.Errorf("plan builders = %q, %v", pi.Builder, pi.PlatformBuilders)
	}
	li := rep.Ledger.Images[0]
	ref, _ := name.ParseReference(reg + "/acme/app:1.1.0")
	idx, err := remote.Index(ref)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := idx.Digest(); d.String() != li.Digest {
		t.Errorf("tag names %s, ledger %s", d, li.Digest)
	}
	im, _ := idx.IndexManifest()
	if len(im.Manifests) != 2 || im.Manifests[0].Platform.Architecture != "amd64" || im.Manifests[1].Platform.Architecture != "arm64" {
		t.Fatalf("index = %+v", im.Manifests)
	}
	for _, m := range im.Manifests {
		files := rootfs(t, reg+"/acme/app@"+m.Digest.String())
		if _, ok := files["hello-"+m.Platform.Architecture+".txt"]; !ok || len(files) != 1 {
			t.Errorf("%s image files = %v", m.Platform, files)
		}
	}
	subject, _ := name.NewDigest(reg + "/acme/app@" + li.Digest)
	if _, err := sign.Verify(context.Background(), subject, sign.WithKey(verifier), sign.WithIgnoreTlog(true)); err != nil {
		t.Errorf("index signature: %v", err)
	}

	// The arm64 build fails on the daemon (its file is missing): no tag moves.
	writeFile(t, filepath.Join(dir, "app/Dockerfile"), "FROM scratch\nARG TARGETARCH\nCOPY only-${TARGETARCH}.txt /\n")
	writeFile(t, filepath.Join(dir, "app/only-amd64.txt"), "amd64\n")
	gitIn(t, dir, "add", ".")
	gitIn(t, dir, "commit", "-q", "-m", "feat: per-arch file")
	_, err = Release(context.Background(), cfg, releaseOpts(t, dir, signer)...)
	var se *StepError
	if !errors.As(err, &se) || se.Step != StepBuild || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "linux/arm64") {
		t.Fatalf("err = %v; want a build-step error naming linux/arm64 and %s", err, addr)
	}
	if _, ok := headDigest(t, reg+"/acme/app:1.2.0"); ok {
		t.Error("a failed release pushed its version tag")
	}
	if d, _ := headDigest(t, reg+"/acme/app:latest"); d.String() != li.Digest {
		t.Errorf("latest moved to %s after a failed release", d)
	}
}
