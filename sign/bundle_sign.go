package sign

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

const inTotoPayloadType = "application/vnd.in-toto+json"

// SignBundle signs subject in the Sigstore bundle format and attaches the
// bundle as an OCI 1.1 referrer, as cosign v3 signs by default: a DSSE
// envelope over an in-toto statement of predicate type CosignSignPredicate
// whose subject is the digest (with the WithAnnotations annotations).
// Key signers only, without a transparency-log entry (stevedore's default
// for keys); keyless signers use Sign (the legacy format).
// Options read: WithRemoteOptions, WithAnnotations.
//
// A bundle signature by the same key (with the same annotations) already
// attached is not made again: made is false then, so a re-run adds nothing.
func SignBundle(ctx context.Context, subject name.Digest, s *Signer, opts ...Option) (made bool, err error) {
	o := makeOptions(ctx, opts)
	if s.valid() == nil && !s.Keyless() {
		check := *o
		check.key = s.Verifier()
		if sigs, err := check.verifyBundles(ctx, subject, CosignSignPredicate); err == nil && len(sigs) > 0 {
			return false, nil
		}
	}
	ann := map[string]any{}
	for k, v := range o.annotations {
		ann[k] = v
	}
	if err := o.attachSignedBundle(subject, s, CosignSignPredicate, json.RawMessage(`{}`), ann); err != nil {
		return false, fmt.Errorf("signing %s as a bundle: %w", subject, err)
	}
	return true, nil
}

// AttestBundle attests predicate (JSON) of predicateType (short name or
// URI, as for Attest) about subject in the bundle format, as cosign v3
// attest does. Key signers only, like SignBundle.
// Options read: WithRemoteOptions.
func AttestBundle(ctx context.Context, subject name.Digest, s *Signer, predicateType string, predicate []byte, opts ...Option) error {
	o := makeOptions(ctx, opts)
	fail := func(err error) error { return fmt.Errorf("attesting %s as a bundle: %w", subject, err) }
	uri, err := PredicateTypeURI(predicateType)
	if err != nil {
		return fail(err)
	}
	if !json.Valid(predicate) {
		return fail(fmt.Errorf("predicate of type %s is not JSON", uri))
	}
	if err := checkPredicate(uri, predicate); err != nil {
		return fail(err)
	}
	if err := o.attachSignedBundle(subject, s, uri, json.RawMessage(predicate), nil); err != nil {
		return fail(err)
	}
	return nil
}

func (o *options) attachSignedBundle(subject name.Digest, s *Signer, uri string, predicate json.RawMessage, ann map[string]any) error {
	if err := s.valid(); err != nil {
		return err
	}
	if s.Keyless() {
		return errors.New("keyless signatures are written in the legacy format only (use Sign and Attest)")
	}
	h, err := v1.NewHash(subject.DigestStr())
	if err != nil {
		return err
	}
	type subj struct {
		Name        string            `json:"name,omitempty"`
		Digest      map[string]string `json:"digest"`
		Annotations map[string]any    `json:"annotations,omitempty"`
	}
	st, err := json.Marshal(struct {
		Type          string          `json:"_type"`
		Subject       []subj          `json:"subject"`
		PredicateType string          `json:"predicateType"`
		Predicate     json.RawMessage `json:"predicate"`
	}{"https://in-toto.io/Statement/v1", []subj{{Name: subject.Context().String(), Digest: map[string]string{h.Algorithm: h.Hex}, Annotations: ann}}, uri, predicate})
	if err != nil {
		return err
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
	return attachBundle(subject, b, uri, o.remote...)
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
