package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/internal/cosigntest"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// An image signed and attested by the cosign v3 CLI in its default format
// (bundles as referrers, no legacy tags) verifies with stevedore's
// defaults, and pins with --verify.
func TestVerifyCosign3Bundles(t *testing.T) {
	_, _, otherPub := testKeys(t)
	repo, h := pushed(t, registrytest.Image(t, 1, 128))
	ref := repo + "@" + h.String()
	keys := cosigntest.SignV3(t, ref)
	pub := filepath.Join(keys, "cosign.pub")

	if r := stevedore(t, nil, "", "verify", ref, "--key", pub); r.code != 0 || !strings.Contains(r.stdout, "verified "+ref+": 1 signature(s)") {
		t.Fatalf("verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := stevedore(t, nil, "", "verify", ref, "--key", pub, "--attestation", cosigntest.PredicateType); r.code != 0 || !strings.Contains(r.stdout, "1 "+cosigntest.PredicateType+" attestation(s)") {
		t.Fatalf("verify --attestation: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := stevedore(t, nil, "", "verify", ref, "--key", otherPub); r.code != exitVerify || !strings.Contains(r.stderr, "none verifies") {
		t.Fatalf("verify, other key: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	deploy := t.TempDir()
	file := filepath.Join(deploy, "app.yaml")
	if err := os.WriteFile(file, []byte("apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: "+repo+":1.0@"+h.String()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := stevedore(t, nil, "", "pin", "--check", "--verify", "--key", pub, deploy); r.code != 0 {
		t.Fatalf("pin --check --verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := stevedore(t, nil, "", "pin", "--check", "--verify", "--key", otherPub, deploy); r.code != exitVerify {
		t.Fatalf("pin --check --verify, other key: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// sign --format both writes a bundle referrer and the legacy tag: the
// cosign v3 CLI and stevedore verify it.
func TestSignFormatBoth(t *testing.T) {
	bin := cosigntest.V3(t)
	priv, pub, otherPub := testKeys(t)
	repo, h := pushed(t, registrytest.Image(t, 1, 128))
	ref := repo + "@" + h.String()
	r := stevedore(t, withPassword(), "", "sign", ref, "--key", priv, "--format", "both")
	if r.code != 0 || !strings.Contains(r.stdout, "signed "+ref+"\n") || !strings.Contains(r.stdout, "signed "+ref+" (bundle)") {
		t.Fatalf("sign: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	cosigntest.Run(t, bin, t.TempDir(), "verify", "--key", pub, "--insecure-ignore-tlog", "--allow-insecure-registry", ref)
	if r := stevedore(t, nil, "", "verify", ref, "--key", pub); r.code != 0 {
		t.Fatalf("verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := stevedore(t, nil, "", "verify", ref, "--key", otherPub, "--insecure-ignore-tlog"); r.code != exitVerify {
		t.Fatalf("verify, other key: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	pred := filepath.Join(t.TempDir(), "pred.json")
	if err := os.WriteFile(pred, []byte(`{"release":"1.0"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r = stevedore(t, withPassword(), "", "attest", ref, "--key", priv, "--format", "bundle", "--predicate", pred, "--type", cosigntest.PredicateType)
	if r.code != 0 || !strings.Contains(r.stdout, "(bundle)") {
		t.Fatalf("attest: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	cosigntest.Run(t, bin, t.TempDir(), "verify-attestation", "--key", pub, "--insecure-ignore-tlog", "--allow-insecure-registry", "--type", cosigntest.PredicateType, ref)
	if r := stevedore(t, nil, "", "verify", ref, "--key", pub, "--attestation", cosigntest.PredicateType); r.code != 0 {
		t.Fatalf("verify --attestation: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := stevedore(t, withPassword(), "", "sign", ref, "--key", priv, "--format", "cms"); r.code != 2 || !strings.Contains(r.stderr, "--format") {
		t.Fatalf("bad format: exit %d: %s", r.code, r.stderr)
	}
}

func TestVerifyWarnsOnMatchAllIdentity(t *testing.T) {
	// A tag that does not exist: the warning comes before any lookup, and
	// nothing reaches for a trusted root over the network.
	repo, _ := pushed(t, registrytest.Image(t, 1, 64))
	missing := repo + ":missing"
	r := stevedore(t, nil, "", "verify", missing, "--certificate-identity-regexp", "^.*$", "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com")
	if r.code == 0 || !strings.Contains(r.stderr, `warning: --certificate-identity-regexp "^.*$" matches every identity`) {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	r = stevedore(t, nil, "", "verify", missing, "--certificate-identity-regexp", `^https://github\.com/acme/`, "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com")
	if strings.Contains(r.stderr, "warning") {
		t.Fatalf("anchored regexp warned: %s", r.stderr)
	}
}
