package sign

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/testing/ca"
)

// Keyless bundles are checked against a local Sigstore (sigstore-go's
// virtual Fulcio, Rekor and TSA): identity and issuer must match, and an
// expired certificate with no timestamp inside its validity fails.
func TestKeylessBundleIdentity(t *testing.T) {
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	subject := mustDigest(t, "127.0.0.1:5000/team/app@sha256:"+strings.Repeat("ab", 32))
	statement, err := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"digest": map[string]string{"sha256": strings.Repeat("ab", 32)}}},
		"predicateType": CosignSignPredicate,
		"predicate":     map[string]any{},
	})
	if err != nil {
		t.Fatal(err)
	}
	const id, issuer = "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.0.0", "https://token.actions.githubusercontent.com"
	entity, err := vs.Attest(id, issuer, statement)
	if err != nil {
		t.Fatal(err)
	}
	check := func(opts ...Option) (Signature, error) {
		o := makeOptions(context.Background(), append(opts, WithIgnoreSCT(true)))
		v, err := o.keylessVerifier(vs)
		if err != nil {
			return Signature{}, err
		}
		p, err := o.bundlePolicy(subject)
		if err != nil {
			return Signature{}, err
		}
		return o.checkEntity(v, p, entity, subject, CosignSignPredicate)
	}
	got, err := check(WithCertIdentity(id), WithCertOIDCIssuer(issuer))
	if err != nil || got.Identity != id || got.Issuer != issuer {
		t.Fatalf("matching identity: %+v, %v", got, err)
	}
	if _, err := check(WithCertIdentityRegexp(`^https://github\.com/acme/`), WithCertOIDCIssuer(issuer)); err != nil {
		t.Fatalf("identity regexp: %v", err)
	}
	if _, err := check(WithCertIdentity("https://github.com/evil/app/.github/workflows/release.yml@refs/tags/v1.0.0"), WithCertOIDCIssuer(issuer)); err == nil || !strings.Contains(err.Error(), "evil") {
		t.Fatalf("other identity: %v", err)
	}
	if _, err := check(WithCertIdentity(id), WithCertOIDCIssuer("https://gitlab.com")); err == nil || !strings.Contains(err.Error(), "gitlab.com") {
		t.Fatalf("other issuer: %v", err)
	}
	other := mustDigest(t, "127.0.0.1:5000/team/app@sha256:"+strings.Repeat("cd", 32))
	o := makeOptions(context.Background(), []Option{WithCertIdentity(id), WithCertOIDCIssuer(issuer), WithIgnoreSCT(true)})
	v, _ := o.keylessVerifier(vs)
	p, _ := o.bundlePolicy(other)
	if _, err := o.checkEntity(v, p, entity, other, CosignSignPredicate); err == nil {
		t.Fatal("a bundle for another digest verified")
	}

	// Logged a day after the certificate (valid for minutes) expired, with
	// no timestamp inside its validity.
	late, err := vs.AttestAtTime(id, issuer, statement, time.Now().Add(24*time.Hour), false)
	if err != nil {
		t.Fatal(err)
	}
	o = makeOptions(context.Background(), []Option{WithCertIdentity(id), WithCertOIDCIssuer(issuer), WithIgnoreSCT(true)})
	v, _ = o.keylessVerifier(vs)
	p, _ = o.bundlePolicy(subject)
	if _, err := o.checkEntity(v, p, late, subject, CosignSignPredicate); err == nil || !strings.Contains(err.Error(), "transparency log") {
		t.Fatalf("an expired certificate without a timestamp: %v", err)
	}
}
