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
