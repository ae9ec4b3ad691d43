package sign

import (
	"errors"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

func TestVerifyLayout(t *testing.T) {
	a, b := keys(t)
	ctx := t.Context()
	dir := t.TempDir()
	h := registrytest.WriteLayout(t, dir, "v1", registrytest.Index(t, 2, 1, 64))
	unsigned := registrytest.WriteLayout(t, dir, "v2", registrytest.Image(t, 1, 64))

	if _, err := SignLayout(ctx, dir, h, a.signer(t), WithAnnotations(map[string]string{"release": "1.0"})); err != nil {
		t.Fatal(err)
	}
	got, err := VerifyLayout(ctx, dir, h, WithKey(a.verifier(t)), WithIgnoreTlog(true))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Signatures) != 1 || got.Signatures[0].ClaimedIdentity != LayoutIdentity || got.Signatures[0].Annotations["release"] != "1.0" {
		t.Errorf("verified %+v", got.Signatures)
	}
	if want := "cosign verify --key cosign.pub --insecure-ignore-tlog REGISTRY/REPOSITORY@" + h.String(); got.Command != want {
		t.Errorf("command = %q, want %q", got.Command, want)
	}
	// Required annotations are checked.
	if _, err := VerifyLayout(ctx, dir, h, WithKey(a.verifier(t)), WithIgnoreTlog(true), WithAnnotations(map[string]string{"release": "2.0"})); !errors.Is(err, ErrInvalidSignature) {
		t.Errorf("wrong annotation: %v", err)
	}

	_, err = VerifyLayout(ctx, dir, h, WithKey(b.verifier(t)), WithIgnoreTlog(true))
	if !errors.Is(err, ErrInvalidSignature) || !strings.Contains(err.Error(), "oci:"+dir) {
		t.Errorf("other key: %v", err)
	}
	_, err = VerifyLayout(ctx, dir, unsigned, WithKey(a.verifier(t)), WithIgnoreTlog(true))
	if !errors.Is(err, ErrNoSignature) {
		t.Errorf("unsigned: %v", err)
	}
	// Attestations.
	if _, err := VerifyLayoutAttestation(ctx, dir, h, PredicateSPDXJSON, WithKey(a.verifier(t)), WithIgnoreTlog(true)); !errors.Is(err, ErrNoSignature) {
		t.Errorf("no attestation: %v", err)
	}
	if _, err := AttestLayout(ctx, dir, h, a.signer(t), PredicateSPDXJSON, []byte(spdx), WithClaimedIdentity("ghcr.io/o/app")); err != nil {
		t.Fatal(err)
	}
	att, err := VerifyLayoutAttestation(ctx, dir, h, PredicateSPDXJSON, WithKey(a.verifier(t)), WithIgnoreTlog(true), WithClaimedIdentity("ghcr.io/o/app"))
	if err != nil {
		t.Fatal(err)
	}
	if len(att.Signatures) != 1 || att.Signatures[0].PredicateType != "https://spdx.dev/Document" || !strings.Contains(string(att.Signatures[0].Predicate), "SPDX") {
		t.Errorf("attestation %+v", att.Signatures)
	}
	if !strings.HasPrefix(att.Command, "cosign verify-attestation --type spdxjson --key cosign.pub") || !strings.HasSuffix(att.Command, "ghcr.io/o/app@"+h.String()) {
		t.Errorf("command = %q", att.Command)
	}
	if _, err := VerifyLayoutAttestation(ctx, dir, h, PredicateSPDXJSON, WithKey(b.verifier(t)), WithIgnoreTlog(true)); !errors.Is(err, ErrInvalidSignature) {
		t.Errorf("attestation, other key: %v", err)
	}
	_, err = VerifyLayoutAttestation(ctx, dir, h, PredicateCycloneDX, WithKey(a.verifier(t)), WithIgnoreTlog(true))
	if !errors.Is(err, ErrNoSignature) || !strings.Contains(err.Error(), "https://spdx.dev/Document") {
		t.Errorf("other type: %v", err)
	}
}

func TestCopyLayoutSignatures(t *testing.T) {
	a, b := keys(t)
	ctx := t.Context()
	src, dst := t.TempDir(), t.TempDir()
	ii := registrytest.Index(t, 2, 1, 64)
	h := registrytest.WriteLayout(t, src, "v1", ii)
	registrytest.WriteLayout(t, dst, "v1", ii)
	if _, err := SignLayout(ctx, src, h, a.signer(t), WithRecursive(true)); err != nil {
		t.Fatal(err)
	}
	if _, err := SignLayout(ctx, dst, h, b.signer(t)); err != nil {
		t.Fatal(err)
	}
	written, err := CopyLayoutSignatures(ctx, src, h, dst)
	if err != nil || len(written) != 3 {
		t.Fatalf("wrote %v, %v", written, err)
	}
	for _, k := range []testKey{a, b} {
		if _, err := VerifyLayout(ctx, dst, h, WithKey(k.verifier(t)), WithIgnoreTlog(true)); err != nil {
			t.Errorf("after copy: %v", err)
		}
	}
	if written, err := CopyLayoutSignatures(ctx, src, h, dst); err != nil || len(written) != 0 {
		t.Errorf("re-run wrote %v, %v", written, err)
	}
}
