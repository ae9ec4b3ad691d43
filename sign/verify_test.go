package sign

import (
	"errors"
	"fmt"
	"testing"
)

func TestClassifyKeepsOtherErrors(t *testing.T) {
	other := errors.New("connection refused")
	if got := classify(other); errors.Is(got, ErrInvalidSignature) || errors.Is(got, ErrNoSignature) {
		t.Errorf("classify(%v) = %v", other, got)
	}
}

func TestVerifyErrorsName(t *testing.T) {
	ctx, d := newRegistryImage(t)
	a, _ := keys(t)
	_, err := Verify(ctx, d, WithKey(a.verifier(t)), WithIgnoreTlog(true))
	if !errors.Is(err, ErrNoSignature) {
		t.Fatalf("err = %v", err)
	}
	if want := fmt.Sprintf("verifying %s: ", d); len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
		t.Errorf("err = %q, want prefix %q", err, want)
	}
	_, err = VerifyAttestation(ctx, d, "not a type", WithKey(a.verifier(t)))
	if err == nil {
		t.Error("bad predicate type accepted")
	}
}

// What stevedore signs with a key by default (no transparency log) verifies
// with the key alone: no trusted-root or Rekor lookup, so it works offline
// (this machine has no network: a lookup would fail the test). A wrong key
// and a missing attestation still fail as verification failures.
func TestVerifyKeyDefaultsAgreeOffline(t *testing.T) {
	ctx, d := newRegistryImage(t)
	a, b := keys(t)
	if _, err := Sign(ctx, d, a.signer(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := Attest(ctx, d, a.signer(t), PredicateSPDXJSON, []byte(`{"spdxVersion":"SPDX-2.3"}`)); err != nil {
		t.Fatal(err)
	}
	v, err := Verify(ctx, d, WithKey(a.verifier(t)))
	if err != nil {
		t.Fatalf("verify with the defaults: %v", err)
	}
	if len(v.Signatures) != 1 || v.Signatures[0].Tlog {
		t.Errorf("signatures = %+v, want one without a tlog entry", v.Signatures)
	}
	if _, err := VerifyAttestation(ctx, d, PredicateSPDXJSON, WithKey(a.verifier(t))); err != nil {
		t.Errorf("verify-attestation with the defaults: %v", err)
	}
	if _, err := Verify(ctx, d, WithKey(b.verifier(t))); !errors.Is(err, ErrInvalidSignature) {
		t.Errorf("another key: err = %v, want ErrInvalidSignature", err)
	}
	if _, err := VerifyAttestation(ctx, d, PredicateCycloneDX, WithKey(a.verifier(t))); !errors.Is(err, ErrNoSignature) {
		t.Errorf("missing attestation: err = %v, want ErrNoSignature", err)
	}
}
