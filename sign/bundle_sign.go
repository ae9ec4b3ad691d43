package sign

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

const inTotoPayloadType = "application/vnd.in-toto+json"

// SignBundle signs subject in the Sigstore bundle format and attaches the
// bundle as an OCI 1.1 referrer, as cosign v3 signs by default: a DSSE
// envelope over an in-toto statement of predicate type CosignSignPredicate
// whose subject is the digest (with the WithAnnotations annotations).
// Key signers sign without a transparency-log entry (stevedore's default
// for keys); keyless signers need a signing config (NewSigningConfigSigner)
// and record every bundle in its Rekor log with a TSA timestamp.
// Options read: WithRemoteOptions, WithAnnotations, WithRecursive (also
// sign each manifest of an index, children first, as Sign does).
//
// A bundle signature by the same key of the same statement (same
// annotations) already attached is not made again: made is false then
// (for every manifest, with WithRecursive), so a re-run adds nothing.
func SignBundle(ctx context.Context, subject name.Digest, s *Signer, opts ...Option) (made bool, err error) {
	res, err := SignBundles(ctx, subject, s, opts...)
	return res != nil && len(res.Signed) > 0, err
}

// SignBundles is SignBundle reporting per digest, as Sign does.
func SignBundles(ctx context.Context, subject name.Digest, s *Signer, opts ...Option) (*Result, error) {
	o := makeOptions(ctx, opts)
	h, err := checkDigest(subject)
	if err != nil {
		return nil, fmt.Errorf("signing %s as a bundle: %w", subject, err)
	}
	res, err := runBundle(ctx, &registryTarget{repo: subject.Context(), ro: o.remote}, h, s, o, CosignSignPredicate, json.RawMessage(`{}`), signedAnnotations(o))
	if err != nil {
		return res, fmt.Errorf("signing %s as a bundle: %w", subject, err)
	}
	return res, nil
}

// AttestBundle attests predicate (JSON) of predicateType (short name or
// URI, as for Attest) about subject in the bundle format, as cosign v3
// attest does. Signers as for SignBundle.
// Options read: WithRemoteOptions, WithRecursive (also attest each
// manifest of an index, as Attest does).
//
// An attestation of the same statement (predicate type and predicate) by
// the same key already attached is not made again, so a re-run adds no
// referrer.
func AttestBundle(ctx context.Context, subject name.Digest, s *Signer, predicateType string, predicate []byte, opts ...Option) error {
	o := makeOptions(ctx, opts)
	fail := func(err error) error { return fmt.Errorf("attesting %s as a bundle: %w", subject, err) }
	h, err := checkDigest(subject)
	if err != nil {
		return fail(err)
	}
	if _, err := attestBundle(ctx, &registryTarget{repo: subject.Context(), ro: o.remote}, h, s, o, predicateType, predicate); err != nil {
		return fail(err)
	}
	return nil
}

// attestBundle checks the predicate and attests it about h in t.
func attestBundle(ctx context.Context, t target, h v1.Hash, s *Signer, o *options, predicateType string, predicate []byte) (*Result, error) {
	uri, err := PredicateTypeURI(predicateType)
	if err != nil {
		return nil, err
	}
	if !json.Valid(predicate) {
		return nil, fmt.Errorf("predicate of type %s is not JSON", uri)
	}
	if err := checkPredicate(uri, predicate); err != nil {
		return nil, err
	}
	return runBundle(ctx, t, h, s, o, uri, json.RawMessage(predicate), nil)
}

// signedAnnotations are the WithAnnotations annotations, as the statement
// of a bundle signature carries them.
func signedAnnotations(o *options) map[string]any {
	ann := map[string]any{}
	for k, v := range o.annotations {
		ann[k] = v
	}
	return ann
}

// runBundle attaches a bundle of the statement (uri, predicate, ann) about
// h in t and, with WithRecursive, about each manifest it references,
// skipping the digests that already carry it signed by this key.
func runBundle(ctx context.Context, t target, h v1.Hash, s *Signer, o *options, uri string, predicate json.RawMessage, ann map[string]any) (*Result, error) {
	if err := s.valid(); err != nil {
		return nil, err
	}
	return each(ctx, t, h, s, o, func(ctx context.Context, t target, h v1.Hash, s *Signer, o *options) (bool, error) {
		subj := t.subject(h)
		if s.valid() == nil && !s.Keyless() {
			st, err := bundleStatementJSON(subj, uri, predicate, ann)
			if err != nil {
				return false, err
			}
			if dup, err := o.hasBundle(ctx, t, h, s, uri, st); err != nil || dup {
				return dup, err
			}
		}
		return false, o.attachSignedBundle(ctx, t, h, s, uri, predicate, ann)
	})
}

// hasBundle reports whether h in t already has a bundle of predicate type
// uri around exactly statement st, signed by s's key: compared by payload
// digest, since each envelope carries its own (randomised) signature. A
// bundle that does not verify with the key (another key, tampered) does
// not count.
func (o *options) hasBundle(ctx context.Context, t target, h v1.Hash, s *Signer, uri string, st []byte) (bool, error) {
	subject := t.subject(h)
	found, err := findBundles(ctx, t, h, uri)
	if err != nil || len(found) == 0 {
		return false, err
	}
	check := *o
	check.key = s.Verifier()
	v, err := check.bundleVerifier()
	if err != nil {
		return false, err
	}
	policy, err := check.bundlePolicy(subject)
	if err != nil {
		return false, err
	}
	want := sha256.Sum256(st)
	for _, f := range found {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		if f.bundle == nil {
			continue
		}
		p, err := bundlePayload(f.bundle)
		if err != nil || sha256.Sum256(p) != want {
			continue
		}
		if _, err := v.Verify(f.bundle, policy); err == nil {
			return true, nil
		}
	}
	return false, nil
}

// bundleStatementJSON is the in-toto statement a bundle about subject signs.
func bundleStatementJSON(subject name.Digest, uri string, predicate json.RawMessage, ann map[string]any) ([]byte, error) {
	h, err := v1.NewHash(subject.DigestStr())
	if err != nil {
		return nil, err
	}
	type subj struct {
		Name        string            `json:"name,omitempty"`
		Digest      map[string]string `json:"digest"`
		Annotations map[string]any    `json:"annotations,omitempty"`
	}
	return json.Marshal(struct {
		Type          string          `json:"_type"`
		Subject       []subj          `json:"subject"`
		PredicateType string          `json:"predicateType"`
		Predicate     json.RawMessage `json:"predicate"`
	}{"https://in-toto.io/Statement/v1", []subj{{Name: subject.Context().String(), Digest: map[string]string{h.Algorithm: h.Hex}, Annotations: ann}}, uri, predicate})
}

func (o *options) attachSignedBundle(ctx context.Context, t target, h v1.Hash, s *Signer, uri string, predicate json.RawMessage, ann map[string]any) error {
	if err := s.valid(); err != nil {
		return err
	}
	st, err := bundleStatementJSON(t.subject(h), uri, predicate, ann)
	if err != nil {
		return err
	}
	if s.Keyless() {
		b, err := s.keylessBundle(ctx, st)
		if err != nil {
			return err
		}
		return attach(ctx, t, h, b, uri)
	}
	sig, err := s.sv.SignMessage(bytes.NewReader(pae(inTotoPayloadType, st)))
	if err != nil {
		return fmt.Errorf("signing the statement: %w", err)
	}
	hint, err := keyHint(s)
	if err != nil {
		return err
	}
	b, err := json.Marshal(map[string]any{
		"mediaType":            BundleArtifactType,
		"verificationMaterial": map[string]any{"publicKey": map[string]string{"hint": hint}},
		"dsseEnvelope": map[string]any{
			"payload":     base64.StdEncoding.EncodeToString(st),
			"payloadType": inTotoPayloadType,
			"signatures":  []map[string]string{{"sig": base64.StdEncoding.EncodeToString(sig)}},
		},
	})
	if err != nil {
		return err
	}
	return attach(ctx, t, h, b, uri)
}

// pae is DSSE's pre-authentication encoding, what the signature covers.
func pae(payloadType string, payload []byte) []byte {
	return fmt.Appendf(nil, "DSSEv1 %d %s %d %s", len(payloadType), payloadType, len(payload), payload)
}

// keyHint names the key as cosign does: base64 of the SHA-256 of its DER
// encoding (verifiers with one key ignore it).
func keyHint(s *Signer) (string, error) {
	pub, err := s.PublicKey()
	if err != nil {
		return "", fmt.Errorf("reading the public key: %w", err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("encoding the public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}
