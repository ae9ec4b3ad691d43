package main

import (
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/internal/admissiontest"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/internal/sigstoretest"
	"github.com/sreevishnu07/stevedore/internal/testutil"
)

// The signature formats stevedore writes; "" is sign's default (no
// --format), which must be one every verifier below accepts.
var everyFormat = []string{"", "legacy", "bundle", "both"}

// readsLegacy are the formats a verifier reading only the legacy tags
// accepts: the default, legacy, and both.
var readsLegacy = map[string]bool{"": true, "legacy": true, "both": true}

// signedInEachFormat signs one image per format with testKeys' key, each in
// a registry of its own, and returns format → REF@DIGEST.
func signedInEachFormat(t *testing.T) map[string]string {
	t.Helper()
	priv, _, _ := testKeys(t)
	refs := map[string]string{}
	for _, f := range everyFormat {
		repo, h := pushed(t, registrytest.Image(t, 1, 128))
		ref := repo + "@" + h.String()
		args := []string{"sign", ref, "--key", priv}
		if f != "" {
			args = append(args, "--format", f)
		}
		if r := stevedore(t, withPassword(), "", args...); r.code != 0 {
			t.Fatalf("sign --format %q: exit %d\n%s%s", f, r.code, r.stdout, r.stderr)
		}
		refs[f] = ref
	}
	return refs
}

// admissionCase is one verifier configuration: how it is asked about an
// image signed by a key, and the formats it is expected to accept.
type admissionCase struct {
	name    string
	accepts map[string]bool
	// refusal is in the verifier's output when it refuses an image for
	// its signatures (and not, say, for a registry it cannot reach).
	refusal string
	// verify writes the policy for pub (PEM) and ref and runs the
	// verifier; ok is whether it admitted ref.
	verify func(t *testing.T, ref, pub string) (out string, ok bool)
}

// checkAdmission runs each case against an image signed in each format: the
// key's public half is accepted exactly where expected, another key never.
func checkAdmission(t *testing.T, cases []admissionCase) {
	refs := signedInEachFormat(t)
	_, pubFile, otherFile := testKeys(t)
	pub, other := readFile(t, pubFile), readFile(t, otherFile)
	for _, c := range cases {
		for _, f := range everyFormat {
			name := f
			if name == "" {
				name = "default"
			}
			t.Run(c.name+"/"+name, func(t *testing.T) {
				ref := refs[f]
				out, ok := c.verify(t, ref, pub)
				if want := c.accepts[f]; ok != want {
					t.Errorf("%s, signed with --format %s: admitted %v, want %v\n%s", c.name, name, ok, want, out)
				}
				if !ok && !strings.Contains(out, c.refusal) {
					t.Errorf("%s refused %s for another reason than its signatures (want %q)\n%s", c.name, ref, c.refusal, out)
				}
				if out, ok := c.verify(t, ref, other); ok || !strings.Contains(out, c.refusal) {
					t.Errorf("%s with another key's policy: admitted %v, want a refusal saying %q\n%s", c.name, ok, c.refusal, out)
				}
			})
		}
	}
}

// sigstore policy-controller (v0.13.1, its tester: the admission webhook's
// verification without a cluster) with a key authority reads the legacy
// tags only: its bundle support ("signatureFormat: bundle") is for keyless
// authorities, and refuses a key.
func TestPolicyControllerAdmitsKeySignatures(t *testing.T) {
	bin := admissiontest.PolicyTester(t)
	cip := func(t *testing.T, pub, format string) string {
		p := filepath.Join(t.TempDir(), "cip.yaml")
		sf := ""
		if format != "" {
			sf = "\n      signatureFormat: " + format
		}
		testutil.WriteFile(t, p, fmt.Sprintf(`apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata:
  name: stevedore-release-key
spec:
  images:
    - glob: "**"
  authorities:
    - name: release-key%s
      key:
        data: |
          %s
`, sf, admissiontest.Indent(pub, 10)))
		return p
	}
	checkAdmission(t, []admissionCase{{
		name:    "policy-controller",
		accepts: readsLegacy,
		refusal: "signature key validation failed for authority release-key",
		verify: func(t *testing.T, ref, pub string) (string, bool) {
			return admissiontest.Run(t, bin, "--policy", cip(t, pub, ""), "--image", ref)
		},
	}, {
		// The policy `stevedore pin --policy sigstore` prints.
		name:    "policy-controller-pin-policy",
		accepts: readsLegacy,
		refusal: "signature key validation failed for authority release-signer",
		verify: func(t *testing.T, ref, pub string) (string, bool) {
			return admissiontest.Run(t, bin, "--policy", pinPolicy(t, "sigstore", pub), "--image", ref)
		},
	}})

	// A user asking policy-controller for bundles with a key is refused,
	// whatever the image holds.
	_, pubFile, _ := testKeys(t)
	repo, h := pushed(t, registrytest.Image(t, 1, 64))
	out, ok := admissiontest.Run(t, bin, "--policy", cip(t, readFile(t, pubFile), "bundle"), "--image", repo+"@"+h.String())
	if ok || !strings.Contains(out, "must be keyless") {
		t.Errorf("signatureFormat: bundle with a key: admitted %v, want a refusal saying the authority must be keyless\n%s", ok, out)
	}
}

// Kyverno (v1.19.1, its CLI with --registry: the admission controller's
// engine applied to a Pod offline). A ClusterPolicy's verifyImages reads
// the legacy tags (type Cosign, the default) or bundle referrers (type
// SigstoreBundle), never both; an ImageValidatingPolicy reads bundles when
// the image has any, else the legacy tags.
func TestKyvernoAdmitsKeySignatures(t *testing.T) {
	bin := admissiontest.Kyverno(t)
	apply := func(t *testing.T, policy, ref string) (string, bool) {
		return kyvernoApply(t, bin, nil, policy, ref)
	}
	clusterPolicy := func(typ string) func(t *testing.T, ref, pub string) (string, bool) {
		return func(t *testing.T, ref, pub string) (string, bool) {
			return apply(t, fmt.Sprintf(`apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: stevedore-release-key
spec:
  background: false
  rules:
    - name: release-key
      match:
        any:
          - resources:
              kinds: [Pod]
      verifyImages:
        - type: %s
          imageReferences: ["*"]
          failureAction: Enforce
          mutateDigest: false
          attestors:
            - entries:
                - keys:
                    publicKeys: |-
                      %s
                    rekor:
                      ignoreTlog: true
                    ctlog:
                      ignoreSCT: true
`, typ, admissiontest.Indent(pub, 22)), ref)
		}
	}
	imageValidatingPolicy := func(t *testing.T, ref, pub string) (string, bool) {
		return apply(t, fmt.Sprintf(`apiVersion: policies.kyverno.io/v1beta1
kind: ImageValidatingPolicy
metadata:
  name: stevedore-release-key
`+ivpolSpec+`  attestors:
    - name: release
      cosign:
        key:
          data: |-
            %s
        ctlog:
          insecureIgnoreTlog: true
          insecureIgnoreSCT: true
  validations:
    - expression: >-
        images.containers.map(image, verifyImageSignatures(image, [attestors.release])).all(e, e > 0)
      message: not signed by the release key
`, admissiontest.Indent(pub, 12)), ref)
	}
	checkAdmission(t, []admissionCase{
		{name: "kyverno-clusterpolicy-cosign", accepts: readsLegacy, refusal: "release-key failed to verify image", verify: clusterPolicy("Cosign")},
		{name: "kyverno-clusterpolicy-sigstorebundle", accepts: map[string]bool{"bundle": true, "both": true}, refusal: "release-key failed to verify image", verify: clusterPolicy("SigstoreBundle")},
		{name: "kyverno-imagevalidatingpolicy", accepts: map[string]bool{"": true, "legacy": true, "bundle": true, "both": true}, refusal: "not signed by the release key", verify: imageValidatingPolicy},
		// The policy `stevedore pin --policy kyverno` prints.
		{name: "kyverno-pin-policy", accepts: readsLegacy, refusal: "verify-signature failed to verify image", verify: func(t *testing.T, ref, pub string) (string, bool) {
			return apply(t, readFile(t, pinPolicy(t, "kyverno", pub)), ref)
		}},
	})
}

// ivpolSpec is the start of every ImageValidatingPolicy spec here: deny
// any Pod whose images fail the attestors, digests left as written.
const ivpolSpec = `spec:
  validationActions: [Deny]
  matchConstraints:
    resourceRules:
      - apiGroups: [""]
        apiVersions: [v1]
        operations: [CREATE]
        resources: [pods]
  matchImageReferences:
    - glob: "*"
  validationConfigurations:
    mutateDigest: false
`

// kyvernoApply runs `kyverno apply --registry` of policy to a Pod running
// ref, with env added to the CLI's environment; ok is whether it admitted
// the Pod.
func kyvernoApply(t *testing.T, bin string, env []string, policy, ref string) (out string, ok bool) {
	t.Helper()
	dir := t.TempDir()
	pol, pod := filepath.Join(dir, "policy.yaml"), filepath.Join(dir, "pod.yaml")
	testutil.WriteFile(t, pol, policy)
	testutil.WriteFile(t, pod, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  namespace: default\nspec:\n  containers:\n    - name: app\n      image: "+ref+"\n")
	out, ok = admissiontest.RunEnv(t, env, bin, "apply", pol, "--resource", pod, "--registry", "--remove-color")
	// A policy that matched nothing passes nothing: admitted means its
	// rules ran and none failed.
	return out, ok && strings.Contains(out, "fail: 0, warn: 0, error: 0,") && !strings.Contains(out, "pass: 0,")
}

// pinPolicy writes the admission policy `stevedore pin --policy kind` prints
// for the key pub (PEM) and returns its path.
func pinPolicy(t *testing.T, kind, pub string) string {
	t.Helper()
	dir := t.TempDir()
	key, policy := filepath.Join(dir, "cosign.pub"), filepath.Join(dir, "policy.yaml")
	testutil.WriteFile(t, key, pub)
	r := stevedore(t, nil, "", "pin", "--policy", kind, "--key", key)
	if r.code != 0 {
		t.Fatalf("pin --policy %s: exit %d\n%s", kind, r.code, r.stderr)
	}
	testutil.WriteFile(t, policy, r.stdout)
	return policy
}

// policy-controller's keyless bundle path against a private Sigstore (a
// TrustRoot made from its trusted root; the TSA's timestamp in place of the
// log, as policy-controller allows) refuses what stevedore signs keyless:
// a Rekor v2 entry. policy-controller v0.13.1 is built on sigstore-go
// v0.7.2, which refuses such a bundle when reading it ("nil value in
// transaction log entry": a Rekor v2 entry has no log index or integrated
// time) and so reports none found; and it has no bundle path for image
// signatures at all, only for attestations. When a release of it reads
// these, this test fails: then say so in the README.
func TestPolicyControllerKeylessBundle(t *testing.T) {
	bin := admissiontest.PolicyTester(t)
	s := sigstoretest.Start(t)
	repo, h := pushed(t, registrytest.Image(t, 1, 128))
	ref := repo + "@" + h.String()
	const email = "release@example.com"
	if r := stevedore(t, nil, "", "sign", ref, "--keyless", "--signing-config", s.SigningConfig, "--identity-token", s.EmailToken(t, email)); r.code != 0 {
		t.Fatalf("sign: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	trustRoot := filepath.Join(t.TempDir(), "trustroot.yaml")
	testutil.WriteFile(t, trustRoot, policyControllerTrustRoot(t, s.TrustedRoot))
	run := func(attestations string) (string, bool) {
		p := filepath.Join(t.TempDir(), "cip.yaml")
		testutil.WriteFile(t, p, fmt.Sprintf(`apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata:
  name: stevedore-keyless
spec:
  images:
    - glob: "**"
  authorities:
    - name: release
      signatureFormat: bundle
      keyless:
        trustRootRef: local-sigstore
        insecureIgnoreSCT: true
        identities:
          - issuer: %s
            subject: %s
      rfc3161timestamp:
        trustRootRef: local-sigstore
%s`, s.EmailIssuer, email, attestations))
		return admissiontest.Run(t, bin, "--policy", p, "--trustroot", trustRoot, "--image", ref)
	}
	// A bundle signature is an in-toto statement of cosign's signature
	// predicate type: policy-controller can only read it as an attestation.
	out, ok := run("      attestations:\n        - name: signature\n          predicateType: https://sigstore.dev/cosign/sign/v1\n")
	if ok || !strings.Contains(out, "no valid bundles exist in registry") {
		t.Errorf("keyless bundle read as an attestation: admitted %v, want policy-controller v0.13.1's refusal of a Rekor v2 bundle\n%s", ok, out)
	}
	if out, ok := run(""); ok || !strings.Contains(out, "bundle support for image signatures is not yet implemented") {
		t.Errorf("keyless bundle as a signature: admitted %v, want policy-controller's refusal (bundle signatures not implemented)\n%s", ok, out)
	}
}

// policyControllerTrustRoot converts a Sigstore trusted_root.json into a
// policy-controller TrustRoot named local-sigstore: its certificate
// authorities and timestamp authorities as PEM chains.
func policyControllerTrustRoot(t *testing.T, path string) string {
	t.Helper()
	type chain struct {
		URI       string `json:"uri"`
		CertChain struct {
			Certificates []struct {
				RawBytes []byte `json:"rawBytes"`
			} `json:"certificates"`
		} `json:"certChain"`
	}
	var tr struct {
		CertificateAuthorities []chain `json:"certificateAuthorities"`
		TimestampAuthorities   []chain `json:"timestampAuthorities"`
	}
	if err := json.Unmarshal([]byte(readFile(t, path)), &tr); err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	list := func(cs []chain) string {
		var b strings.Builder
		for _, c := range cs {
			var pems []byte
			for _, cert := range c.CertChain.Certificates {
				pems = append(pems, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.RawBytes})...)
			}
			fmt.Fprintf(&b, "      - subject: {organization: stevedore-test, commonName: stevedore-test}\n        uri: %s\n        certChain: %s\n",
				c.URI, base64.StdEncoding.EncodeToString(pems))
		}
		return b.String()
	}
	return "apiVersion: policy.sigstore.dev/v1alpha1\nkind: TrustRoot\nmetadata:\n  name: local-sigstore\nspec:\n  sigstoreKeys:\n" +
		"    certificateAuthorities:\n" + list(tr.CertificateAuthorities) +
		"    timestampAuthorities:\n" + list(tr.TimestampAuthorities)
}
