package sign

import (
	"errors"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/internal/cosigntest"
	"github.com/sreevishnu07/stevedore/internal/sigstoretest"
)

// Keyless through a signing config, against a real private Sigstore
// (Fulcio, Rekor v2, TSA): stevedore's bundles verify by identity with
// stevedore and with the cosign v3 CLI, and another identity or issuer is
// refused, naming what did not match.
func TestSigningConfigKeylessBundles(t *testing.T) {
	s := sigstoretest.Start(t)
	ctx, subject := newRegistryImage(t)
	cfg, err := LoadSigningConfig(s.SigningConfig)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RekorVersion() != 2 {
		t.Fatalf("signing config selects Rekor v%d, want v2", cfg.RekorVersion())
	}
	w := sigstoretest.GitHubWorkflow{Repository: "acme/app", Ref: "refs/tags/v1.2.3"}
	signer, err := NewSigningConfigSigner(ctx, s.GitHubToken(t, w), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !signer.Keyless() {
		t.Fatal("a signing config signer is not keyless")
	}
	if _, err := SignBundle(ctx, subject, signer, WithAnnotations(map[string]string{"env": "prod"})); err != nil {
		t.Fatal(err)
	}
	if err := AttestBundle(ctx, subject, signer, PredicateSLSA1, []byte(`{"buildDefinition":{"buildType":"https://example.com/t","externalParameters":{"source":"x"}},"runDetails":{"builder":{"id":"https://example.com/b"}}}`)); err != nil {
		t.Fatal(err)
	}
	// The legacy format cannot hold a Rekor v2 entry: refused, saying so.
	if _, err := Sign(ctx, subject, signer); err == nil || !strings.Contains(err.Error(), "--format bundle") {
		t.Fatalf("legacy keyless signing with Rekor v2: %v", err)
	}

	id := []Option{WithTrustedRoot(s.TrustedRoot), WithIgnoreSCT(true), WithCertOIDCIssuer(s.GitHubIssuer)}
	v, err := Verify(ctx, subject, append(id, WithCertIdentity(w.Identity()), WithAnnotations(map[string]string{"env": "prod"}))...)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Signatures[0]; got.Identity != w.Identity() || got.Issuer != s.GitHubIssuer || !got.Tlog {
		t.Fatalf("verified %+v", got)
	}
	if !strings.Contains(v.Command, "--trusted-root "+s.TrustedRoot) {
		t.Fatalf("verify command %q has no --trusted-root", v.Command)
	}
	if _, err := VerifyAttestation(ctx, subject, PredicateSLSA1, append(id, WithCertIdentity(w.Identity()))...); err != nil {
		t.Fatal(err)
	}

	wf := GitHubWorkflow{Repository: "acme/app", Ref: w.Ref, Trigger: "push"}
	if _, err := Verify(ctx, subject, append(id, WithCertIdentity(w.Identity()), WithGitHubWorkflow(wf))...); err != nil {
		t.Fatalf("the workflow claims the certificate carries: %v", err)
	}
	wf.Repository = "acme/other"
	if _, err := Verify(ctx, subject, append(id, WithCertIdentity(w.Identity()), WithGitHubWorkflow(wf))...); !errors.Is(err, ErrInvalidSignature) || !strings.Contains(err.Error(), "acme/other") {
		t.Fatalf("another workflow repository: %v", err)
	}

	other := "https://github.com/acme/other/.github/workflows/release.yml@refs/tags/v1.2.3"
	_, err = Verify(ctx, subject, append(id, WithCertIdentity(other))...)
	if !errors.Is(err, ErrInvalidSignature) || !strings.Contains(err.Error(), other) {
		t.Fatalf("another identity: %v", err)
	}
	_, err = Verify(ctx, subject, WithTrustedRoot(s.TrustedRoot), WithIgnoreSCT(true), WithCertIdentity(w.Identity()), WithCertOIDCIssuer(s.EmailIssuer))
	if !errors.Is(err, ErrInvalidSignature) || !strings.Contains(err.Error(), s.EmailIssuer) {
		t.Fatalf("another issuer: %v", err)
	}

	// The cosign v3 CLI accepts both, by the same identity.
	cosign := cosigntest.V3(t)
	dir := t.TempDir()
	flags := []string{"--trusted-root", s.TrustedRoot, "--insecure-ignore-sct", "--allow-insecure-registry",
		"--certificate-identity", w.Identity(), "--certificate-oidc-issuer", s.GitHubIssuer}
	cosigntest.Run(t, cosign, dir, append(append([]string{"verify"}, flags...), "-a", "env=prod",
		"--certificate-github-workflow-repository", "acme/app", subject.String())...)
	cosigntest.Run(t, cosign, dir, append(append([]string{"verify-attestation", "--type", "slsaprovenance1"}, flags...), subject.String())...)
}

// What the cosign v3 CLI signs keyless against a private Sigstore,
// stevedore verifies by identity.
func TestVerifyCosignV3Keyless(t *testing.T) {
	cosign := cosigntest.V3(t)
	s := sigstoretest.Start(t)
	ctx, subject := newRegistryImage(t)
	dir := t.TempDir()
	cosigntest.Run(t, cosign, dir, "sign", "--signing-config", s.SigningConfig, "--trusted-root", s.TrustedRoot,
		"--identity-token", s.EmailToken(t, "dev@example.com"), "--allow-insecure-registry", "-y", subject.String())
	v, err := Verify(ctx, subject, WithTrustedRoot(s.TrustedRoot), WithIgnoreSCT(true),
		WithCertIdentity("dev@example.com"), WithCertOIDCIssuer(s.EmailIssuer))
	if err != nil {
		t.Fatal(err)
	}
	if v.Signatures[0].Identity != "dev@example.com" {
		t.Fatalf("verified %+v", v.Signatures[0])
	}
	if _, err := Verify(ctx, subject, WithTrustedRoot(s.TrustedRoot), WithIgnoreSCT(true),
		WithCertIdentity("eve@example.com"), WithCertOIDCIssuer(s.EmailIssuer)); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("another identity: %v", err)
	}
}
