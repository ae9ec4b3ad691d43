package main

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/internal/admissiontest"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/internal/sigstoretest"
)

// Kyverno v1.19 (its CLI, offline) admits an image stevedore signed and
// attested keyless through the local Sigstore (Fulcio, Rekor v2, TSA; the
// bundle format, the only one a Rekor v2 log allows) for the identity and
// issuer that signed it, and refuses another identity, another issuer and
// an unsigned image. Kyverno takes Sigstore's trust only from TUF, so the
// test serves the Sigstore's trusted root in a signed TUF repository: an
// ImageValidatingPolicy names it as its attestor's `tuf` mirror and root;
// a ClusterPolicy reads Kyverno's TUF cache, initialized from it first (as
// the controller's --tufMirror/--tufRoot flags do at startup). Both check
// the Rekor v2 entry against the log's key in that root.
func TestKyvernoAdmitsKeylessBundles(t *testing.T) {
	bin := admissiontest.Kyverno(t)
	s := sigstoretest.Start(t)
	tuf := s.TUF(t, placeholderCTLogKey(t))
	const email = "release@example.com"
	tok := s.EmailToken(t, email)

	repo, h := pushed(t, registrytest.Image(t, 1, 128))
	signed := repo + "@" + h.String()
	if r := stevedore(t, nil, "", "sign", signed, "--keyless", "--signing-config", s.SigningConfig, "--identity-token", tok); r.code != 0 {
		t.Fatalf("sign: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	pred := filepath.Join(t.TempDir(), "pred.json")
	if err := os.WriteFile(pred, []byte(`{"buildDefinition":{"buildType":"https://example.com/t","externalParameters":{"source":"x"}},"runDetails":{"builder":{"id":"https://example.com/b"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := stevedore(t, nil, "", "attest", signed, "--signing-config", s.SigningConfig, "--identity-token", tok, "--predicate", pred, "--type", "slsaprovenance1"); r.code != 0 {
		t.Fatalf("attest: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	repo, h = pushed(t, registrytest.Image(t, 1, 64))
	unsigned := repo + "@" + h.String()
	repo, h = pushed(t, registrytest.Image(t, 1, 96))
	signedOnly := repo + "@" + h.String()
	if r := stevedore(t, nil, "", "sign", signedOnly, "--keyless", "--signing-config", s.SigningConfig, "--identity-token", tok); r.code != 0 {
		t.Fatalf("sign: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	tufCache := []string{"TUF_ROOT=" + filepath.Join(t.TempDir(), "tuf")}
	ivpolWith := func(tuf *sigstoretest.TUFRepository, issuer, subject, validation string) string {
		return fmt.Sprintf(`apiVersion: policies.kyverno.io/v1beta1
kind: ImageValidatingPolicy
metadata:
  name: stevedore-keyless
`+ivpolSpec+`  attestors:
    - name: release
      cosign:
        keyless:
          identities:
            - issuer: %s
              subject: %s
        ctlog:
          url: %s
          insecureIgnoreSCT: true
        tuf:
          mirror: %s
          root:
            data: %s
  attestations:
    - name: provenance
      intoto:
        type: https://slsa.dev/provenance/v1
  validations:
    - expression: >-
        %s
      message: not signed by the release identity
`, issuer, subject, s.RekorURL, tuf.URL, base64.StdEncoding.EncodeToString(tuf.Root), validation)
	}
	ivpol := func(issuer, subject, validation string) string { return ivpolWith(tuf, issuer, subject, validation) }
	const (
		ivpolSignature   = "images.containers.map(image, verifyImageSignatures(image, [attestors.release])).all(e, e > 0)"
		ivpolAttestation = "images.containers.map(image, verifyAttestationSignatures(image, attestations.provenance, [attestors.release])).all(e, e > 0)"
	)
	cpol := func(issuer, subject, attestations string) string {
		return fmt.Sprintf(`apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: stevedore-keyless
spec:
  background: false
  rules:
    - name: release-identity
      match:
        any:
          - resources:
              kinds: [Pod]
      verifyImages:
        - type: SigstoreBundle
          imageReferences: ["*"]
          failureAction: Enforce
          mutateDigest: false
          attestors:
            - entries:
                - keyless:
                    issuer: %s
                    subject: %s
                    rekor:
                      url: %s
%s`, issuer, subject, s.RekorURL, attestations)
	}
	const cpolAttestation = `          attestations:
            - type: https://slsa.dev/provenance/v1
              attestors:
                - entries:
                    - keyless:
                        issuer: %s
                        subject: %s
                        rekor:
                          url: %s
`
	type policy struct {
		name        string
		refusal     string
		env         []string
		attestation bool // requires the provenance attestation
		write       func(issuer, subject string) string
	}
	policies := []policy{
		{"imagevalidatingpolicy-signature", "not signed by the release identity", nil, false,
			func(iss, sub string) string { return ivpol(iss, sub, ivpolSignature) }},
		{"imagevalidatingpolicy-attestation", "not signed by the release identity", nil, true,
			func(iss, sub string) string { return ivpol(iss, sub, ivpolAttestation) }},
		{"clusterpolicy-sigstorebundle-signature", "release-identity failed to verify image", tufCache, false,
			func(iss, sub string) string { return cpol(iss, sub, "") }},
		{"clusterpolicy-sigstorebundle-attestation", "release-identity failed to verify image", tufCache, true,
			func(iss, sub string) string {
				return cpol(iss, sub, fmt.Sprintf(cpolAttestation, iss, sub, s.RekorURL))
			}},
	}

	// Kyverno's TUF cache for the ClusterPolicies: an ImageValidatingPolicy
	// run initializes it from the repository, as the controller does.
	if out, ok := kyvernoApply(t, bin, tufCache, ivpol(s.EmailIssuer, email, ivpolSignature), signed); !ok {
		t.Fatalf("initializing Kyverno's TUF cache from %s:\n%s", tuf.URL, out)
	}

	for _, p := range policies {
		t.Run(p.name, func(t *testing.T) {
			if out, ok := kyvernoApply(t, bin, p.env, p.write(s.EmailIssuer, email), signed); !ok {
				t.Errorf("refused the image signed by %s:\n%s", email, out)
			}
			out, ok := kyvernoApply(t, bin, p.env, p.write(s.EmailIssuer, email), signedOnly)
			if ok == p.attestation {
				t.Errorf("an image signed and not attested: admitted %v, want %v\n%s", ok, !p.attestation, out)
			}
			for _, c := range []struct{ what, issuer, subject, ref string }{
				{"another identity", s.EmailIssuer, "other@example.com", signed},
				{"another issuer", s.GitHubIssuer, email, signed},
				{"an unsigned image", s.EmailIssuer, email, unsigned},
			} {
				out, ok := kyvernoApply(t, bin, p.env, p.write(c.issuer, c.subject), c.ref)
				if ok || !strings.Contains(out, p.refusal) {
					t.Errorf("%s: admitted %v, want a refusal saying %q\n%s", c.what, ok, p.refusal, out)
				}
			}
		})
	}

	// The Rekor v2 entry is checked: a trusted root naming another key
	// for the same log refuses the image.
	forged := sigstoretest.ServeTUF(t, sigstoretest.TUFTarget{Name: "trusted_root.json", Data: otherLogKey(t, s.TrustedRoot)}, placeholderCTLogKey(t))
	if out, ok := kyvernoApply(t, bin, nil, ivpolWith(forged, s.EmailIssuer, email, ivpolSignature), signed); ok || !strings.Contains(out, "not signed by the release identity") {
		t.Errorf("a trusted root with another key for the Rekor log: admitted %v, want a refusal\n%s", ok, out)
	}
}

// otherLogKey returns the trusted root at path with its transparency log's
// key replaced by a fresh one (same log ID and URL).
func otherLogKey(t *testing.T, path string) []byte {
	t.Helper()
	var tr map[string]any
	if err := json.Unmarshal([]byte(readFile(t, path)), &tr); err != nil {
		t.Fatal(err)
	}
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range tr["tlogs"].([]any) {
		l.(map[string]any)["publicKey"].(map[string]any)["rawBytes"] = base64.StdEncoding.EncodeToString(der)
	}
	b, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// placeholderCTLogKey is a ctfe.pub target (usage CTFE) holding a key of no
// log: Kyverno v1.19's ImageValidatingPolicy reads CT log keys from TUF for
// every keyless attestor, even with insecureIgnoreSCT, and fails without
// one ("no CTLog public keys found in trusted root"); the local Fulcio runs
// with no CT log, so the key is never used.
func placeholderCTLogKey(t *testing.T) sigstoretest.TUFTarget {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	return sigstoretest.TUFTarget{Name: "ctfe.pub", Usage: "CTFE", Data: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})}
}
