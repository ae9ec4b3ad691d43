package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

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

	// cosign v3's verify --local-image reads bundles from a layout as
	// stevedore writes them (referrer manifests whose subject is the image),
	// but finds the image only by cosign save's annotation kind:
	// dev.cosignproject.cosign/image, which stevedore's layouts (one image
	// or many, under tags) do not carry: on a copy given that annotation it
	// verifies both bundles keyless.
	cdir := filepath.Join(t.TempDir(), "cosign-layout")
	if err := os.CopyFS(cdir, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	markCosignImage(t, cdir, h)
	local := append(append([]string{"--local-image"}, trust...), id...)
	cosigntest.Run(t, bin, t.TempDir(), append(append([]string{"verify"}, local...), cdir)...)
	cosigntest.Run(t, bin, t.TempDir(), append(append([]string{"verify-attestation", "--type", "slsaprovenance1"}, local...), cdir)...)
	if out, err := cosigntest.Try(bin, t.TempDir(), append([]string{"verify", "--local-image"}, append(trust, "--certificate-identity", "eve@example.com", "--certificate-oidc-issuer", s.EmailIssuer, cdir)...)...); err == nil {
		t.Errorf("cosign v3 verify --local-image with another identity passed:\n%s", out)
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
	if o := cosigntest.Run(t, bin, t.TempDir(), append(append([]string{"verify"}, cosign...), ref)...); !strings.Contains(o, "certificate was verified") || !strings.Contains(o, `"type":"https://sigstore.dev/cosign/sign/v1"`) {
		t.Errorf("cosign v3 verified no keyless signature bundle:\n%s", o)
	}
	cosigntest.Run(t, bin, t.TempDir(), append(append([]string{"verify-attestation", "--type", "slsaprovenance1"}, cosign...), ref)...)
	other := append([]string{"verify", "--allow-insecure-registry"}, append(trust, "--certificate-identity", "eve@example.com", "--certificate-oidc-issuer", s.EmailIssuer, ref)...)
	if out, err := cosigntest.Try(bin, t.TempDir(), other...); err == nil {
		t.Errorf("cosign v3 verify with another identity passed:\n%s", out)
	}
}

// markCosignImage gives h's entry in the index.json of the layout at dir
// the annotation cosign save marks its image with.
func markCosignImage(t *testing.T, dir string, h v1.Hash) {
	t.Helper()
	file := filepath.Join(dir, "index.json")
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var im v1.IndexManifest
	if err := json.Unmarshal(raw, &im); err != nil {
		t.Fatal(err)
	}
	marked := false
	for i, d := range im.Manifests {
		if d.Digest == h && d.ArtifactType != "application/vnd.dev.sigstore.bundle.v0.3+json" {
			if d.Annotations == nil {
				im.Manifests[i].Annotations = map[string]string{}
			}
			im.Manifests[i].Annotations["kind"] = "dev.cosignproject.cosign/image"
			marked = true
		}
	}
	if !marked {
		t.Fatalf("%s is not listed in %s", h, file)
	}
	if raw, err = json.Marshal(im); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}
