package sigstoretest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/internal/cosigntest"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/internal/sigstoretest"
)

// The cosign v3 CLI signs keyless against the local Sigstore (a Fulcio
// certificate, a Rekor v2 entry, a timestamp) and verifies the result by
// identity through the trusted root: the files this package writes are
// what a real client needs.
func TestCosignV3KeylessRoundTrip(t *testing.T) {
	cosign := cosigntest.V3(t)
	s := sigstoretest.Start(t)
	ref := pushImage(t, registrytest.InProcess(t))
	dir := t.TempDir()

	w := sigstoretest.GitHubWorkflow{Repository: "acme/app", Ref: "refs/tags/v1.2.3"}
	tok := s.GitHubToken(t, w)
	cosigntest.Run(t, cosign, dir, "sign", "--signing-config", s.SigningConfig, "--trusted-root", s.TrustedRoot,
		"--identity-token", tok, "--allow-insecure-registry", "-y", ref)

	verify := func(extra ...string) (string, error) {
		args := append([]string{"verify", "--trusted-root", s.TrustedRoot, "--insecure-ignore-sct",
			"--allow-insecure-registry", "--certificate-oidc-issuer", s.GitHubIssuer}, extra...)
		return cosigntest.Try(cosign, dir, append(args, ref)...)
	}
	out, err := verify("--certificate-identity", w.Identity(),
		"--certificate-github-workflow-repository", "acme/app",
		"--certificate-github-workflow-ref", "refs/tags/v1.2.3")
	if err != nil {
		t.Fatalf("cosign verify: %v\n%s", err, out)
	}
	if out, err := verify("--certificate-identity", "https://github.com/acme/other/.github/workflows/release.yml@refs/tags/v1.2.3"); err == nil {
		t.Fatalf("cosign verify accepted another identity:\n%s", out)
	}

	// An email identity from the other issuer.
	cosigntest.Run(t, cosign, dir, "sign", "--signing-config", s.SigningConfig, "--trusted-root", s.TrustedRoot,
		"--identity-token", s.EmailToken(t, "dev@example.com"), "--allow-insecure-registry", "-y", ref)
	cosigntest.Run(t, cosign, dir, "verify", "--trusted-root", s.TrustedRoot, "--insecure-ignore-sct", "--allow-insecure-registry",
		"--certificate-identity", "dev@example.com", "--certificate-oidc-issuer", s.EmailIssuer, ref)

	for _, f := range []string{s.TrustedRoot, s.SigningConfig} {
		b, err := os.ReadFile(f)
		if err != nil || !strings.Contains(string(b), "mediaType") {
			t.Fatalf("%s: %v\n%s", filepath.Base(f), err, b)
		}
	}
}

func pushImage(t *testing.T, host string) string {
	t.Helper()
	img := registrytest.Image(t, 1, 256)
	tag, err := name.NewTag(host + "/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return tag.Context().Digest(d.String()).String()
}
