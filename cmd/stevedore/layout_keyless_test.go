package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/internal/cosigntest"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/internal/sigstoretest"
)

// Keyless bundles in an OCI layout: sign and attest keyless through the
// local Sigstore into oci:DIR, verify there with the certificate identity
// and issuer (another identity or issuer exits 4, naming it), then publish
// the layout and verify the published digest keyless with the cosign v3
// CLI, signature and attestation.
func TestKeylessLayoutBundlesPublish(t *testing.T) {
	bin := cosigntest.V3(t)
	s := sigstoretest.Start(t)
	dir := t.TempDir()
	h := registrytest.WriteLayout(t, dir, "v1", registrytest.Image(t, 1, 128))
	lref := "oci:" + dir + "@" + h.String()
	const who = "dev@example.com"
	tok := s.EmailToken(t, who)

	if r := stevedore(t, nil, "", "sign", lref, "--keyless", "--signing-config", s.SigningConfig, "--identity-token", tok); r.code != 0 || !strings.Contains(r.stdout, "(bundle)") {
		t.Fatalf("sign: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	pred := filepath.Join(t.TempDir(), "pred.json")
	if err := os.WriteFile(pred, []byte(`{"buildDefinition":{"buildType":"https://example.com/t","externalParameters":{"source":"x"}},"runDetails":{"builder":{"id":"https://example.com/b"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := stevedore(t, map[string]string{"SIGSTORE_ID_TOKEN": tok}, "", "attest", lref, "--signing-config", s.SigningConfig, "--predicate", pred, "--type", "slsaprovenance1"); r.code != 0 {
		t.Fatalf("attest: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n := len(bundleEntries(t, dir)); n != 2 {
		t.Fatalf("layout lists %d bundle referrers, want the signature and the attestation", n)
	}

	trust := []string{"--trusted-root", s.TrustedRoot, "--insecure-ignore-sct"}
	id := []string{"--certificate-identity", who, "--certificate-oidc-issuer", s.EmailIssuer}
	verify := func(ref string, extra ...string) result {
		return stevedore(t, nil, "", append(append([]string{"verify", ref}, trust...), extra...)...)
	}
	for _, extra := range [][]string{nil, {"--attestation", "slsaprovenance1"}} {
		if r := verify(lref, append(append([]string{"--format", "bundle"}, id...), extra...)...); r.code != 0 {
			t.Fatalf("verify %s %s: exit %d\n%s%s", lref, strings.Join(extra, " "), r.code, r.stdout, r.stderr)
		}
	}
	if r := verify(lref, "--certificate-identity", "eve@example.com", "--certificate-oidc-issuer", s.EmailIssuer); r.code != exitVerify || !strings.Contains(r.stderr, "eve@example.com") {
		t.Errorf("verify the layout, another identity: exit %d, want %d\n%s", r.code, exitVerify, r.stderr)
	}
	if r := verify(lref, "--certificate-identity", who, "--certificate-oidc-issuer", s.GitHubIssuer); r.code != exitVerify || !strings.Contains(r.stderr, s.GitHubIssuer) {
		t.Errorf("verify the layout, another issuer: exit %d, want %d\n%s", r.code, exitVerify, r.stderr)
	}
	if r := verify(lref, "--certificate-identity", "eve@example.com", "--certificate-oidc-issuer", s.EmailIssuer, "--attestation", "slsaprovenance1"); r.code != exitVerify {
		t.Errorf("verify the layout's attestation, another identity: exit %d, want %d\n%s", r.code, exitVerify, r.stderr)
	}

	reg := registrytest.InProcessReferrers(t)
	if r := stevedore(t, nil, "", "publish", "--ledger", "", "--from", lref, "--to", reg+"/team/app", "--tag", "1.0"); r.code != 0 || !strings.Contains(r.stderr, "carried bundle ") {
		t.Fatalf("publish: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	ref := reg + "/team/app@" + h.String()
	if r := verify(ref, id...); r.code != 0 {
		t.Errorf("verify %s: exit %d\n%s%s", ref, r.code, r.stdout, r.stderr)
	}
	cosign := append([]string{"--allow-insecure-registry"}, append(trust, id...)...)
	if o := cosigntest.Run(t, bin, t.TempDir(), append(append([]string{"verify"}, cosign...), ref)...); !strings.Contains(o, who) {
		t.Errorf("cosign v3 verify names no %s:\n%s", who, o)
	}
	cosigntest.Run(t, bin, t.TempDir(), append(append([]string{"verify-attestation", "--type", "slsaprovenance1"}, cosign...), ref)...)
	other := append([]string{"verify", "--allow-insecure-registry"}, append(trust, "--certificate-identity", "eve@example.com", "--certificate-oidc-issuer", s.EmailIssuer, ref)...)
	if out, err := cosigntest.Try(bin, t.TempDir(), other...); err == nil {
		t.Errorf("cosign v3 verify with another identity passed:\n%s", out)
	}
}
