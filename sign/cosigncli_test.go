package sign

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sreevishnu07/stevedore/internal/cosigntest"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// cosignCLI is the cosign v2 CLI this module links, built once.
func cosignCLI(t *testing.T) string { return cosigntest.V2(t) }

// runCosign runs the cosign CLI with an environment that keeps it off the
// network and out of the user's files.
func runCosign(t *testing.T, args ...string) (string, error) {
	t.Helper()
	bin := cosignCLI(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	home := t.TempDir()
	cmd.Env = []string{
		"HOME=" + home,
		"PATH=" + os.Getenv("PATH"),
		"TUF_ROOT=" + filepath.Join(home, "tuf"),
		"DOCKER_CONFIG=" + filepath.Join(home, "docker"),
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func TestCosignCLIVerifiesOurSignatures(t *testing.T) {
	if testing.Short() {
		t.Skip("builds or runs the cosign CLI")
	}
	a, _ := keys(t)
	ctx, d := newRegistryImage(t)
	pub := filepath.Join(t.TempDir(), "cosign.pub")
	if err := os.WriteFile(pub, a.pub, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Sign(ctx, d, a.signer(t), WithAnnotations(map[string]string{"release": "v1"})); err != nil {
		t.Fatal(err)
	}
	if _, err := Attest(ctx, d, a.signer(t), PredicateSPDXJSON, []byte(spdx)); err != nil {
		t.Fatal(err)
	}

	out, err := runCosign(t, "verify", "--key", pub, "--insecure-ignore-tlog", "--allow-insecure-registry", "-a", "release=v1", d.String())
	if err != nil {
		t.Fatalf("cosign verify: %v\n%s", err, out)
	}
	t.Logf("cosign verify:\n%s", out)
	if !strings.Contains(out, d.DigestStr()) {
		t.Errorf("cosign verify output lacks the digest:\n%s", out)
	}
	out, err = runCosign(t, "verify-attestation", "--type", "spdxjson", "--key", pub, "--insecure-ignore-tlog", "--allow-insecure-registry", d.String())
	if err != nil {
		t.Fatalf("cosign verify-attestation: %v\n%s", err, out)
	}

	// And the other way round: cosign rejects another key.
	_, b := keys(t)
	other := filepath.Join(t.TempDir(), "other.pub")
	if err := os.WriteFile(other, b.pub, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := runCosign(t, "verify", "--key", other, "--insecure-ignore-tlog", "--allow-insecure-registry", d.String()); err == nil {
		t.Fatalf("cosign verify accepted another key:\n%s", out)
	}
}

// Signatures cosign itself makes verify with this package, and a re-sign
// by stevedore with the same key is skipped.
func TestCosignCLISignaturesVerifyHere(t *testing.T) {
	if testing.Short() {
		t.Skip("builds or runs the cosign CLI")
	}
	a, _ := keys(t)
	ctx, d := newRegistryImage(t)
	key := filepath.Join(t.TempDir(), "cosign.key")
	if err := os.WriteFile(key, a.priv, 0o600); err != nil {
		t.Fatal(err)
	}
	bin := cosignCLI(t)
	cmd := exec.CommandContext(ctx, bin, "sign", "--key", key, "--tlog-upload=false", "--allow-insecure-registry", "--yes", d.String())
	home := t.TempDir()
	cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "COSIGN_PASSWORD=" + string(a.password), "TUF_ROOT=" + filepath.Join(home, "tuf")}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cosign sign: %v\n%s", err, out)
	}
	if _, err := Verify(ctx, d, WithKey(a.verifier(t)), WithIgnoreTlog(true)); err != nil {
		t.Fatal(err)
	}
	res, err := Sign(ctx, d, a.signer(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Skipped) != 1 || sigLayers(t, d, SignatureSuffix) != 1 {
		t.Fatalf("re-sign after cosign: %+v, %d layers", res, sigLayers(t, d, SignatureSuffix))
	}
}

// A release signed offline in a layout, pushed and its signatures copied,
// verifies with cosign itself.
func TestCosignCLIVerifiesCopiedLayoutSignatures(t *testing.T) {
	if testing.Short() {
		t.Skip("builds or runs the cosign CLI")
	}
	a, _ := keys(t)
	ctx := t.Context()
	dir := t.TempDir()
	img := registrytest.Image(t, 1, 128)
	h := registrytest.WriteLayout(t, dir, "v1", img)
	host := registrytest.InProcess(t)
	repo, _ := name.NewRepository(host + "/o/offline")
	if _, err := SignLayout(ctx, dir, h, a.signer(t), WithClaimedIdentity(repo.Name())); err != nil {
		t.Fatal(err)
	}
	if _, err := AttestLayout(ctx, dir, h, a.signer(t), PredicateSPDXJSON, []byte(spdx), WithClaimedIdentity(repo.Name())); err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(repo.Digest(h.String()), img); err != nil {
		t.Fatal(err)
	}
	if _, err := CopySignatures(ctx, dir, h, repo); err != nil {
		t.Fatal(err)
	}
	pub := filepath.Join(t.TempDir(), "cosign.pub")
	if err := os.WriteFile(pub, a.pub, 0o644); err != nil {
		t.Fatal(err)
	}
	d := repo.Digest(h.String()).String()
	if out, err := runCosign(t, "verify", "--key", pub, "--insecure-ignore-tlog", "--allow-insecure-registry", d); err != nil {
		t.Fatalf("cosign verify: %v\n%s", err, out)
	}
	if out, err := runCosign(t, "verify-attestation", "--type", "spdxjson", "--key", pub, "--insecure-ignore-tlog", "--allow-insecure-registry", d); err != nil {
		t.Fatalf("cosign verify-attestation: %v\n%s", err, out)
	}
}
