package sign

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	ctypes "github.com/sigstore/cosign/v2/pkg/types"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/dsse"
	sigopts "github.com/sigstore/sigstore/pkg/signature/options"
)

// Predicate types, by the short names cosign attest --type accepts.
const (
	PredicateSPDXJSON   = "spdxjson"        // https://spdx.dev/Document
	PredicateCycloneDX  = "cyclonedx"       // https://cyclonedx.org/bom
	PredicateSLSA1      = "slsaprovenance1" // https://slsa.dev/provenance/v1
	PredicateSLSA02     = "slsaprovenance"  // https://slsa.dev/provenance/v0.2
	PredicateOpenVEX    = "openvex"         // https://openvex.dev/ns
	PredicateCustom     = "custom"          // https://cosign.sigstore.dev/attestation/v1
	predicateAnnotation = "predicateType"
)

// predicateURIs maps cosign's short names to predicate type URIs (cosign's
// options.PredicateTypeMap, copied: that package drags in cosign's CLI).
var predicateURIs = map[string]string{
	PredicateSPDXJSON:  "https://spdx.dev/Document",
	"spdx":             "https://spdx.dev/Document",
	PredicateCycloneDX: "https://cyclonedx.org/bom",
	PredicateSLSA1:     "https://slsa.dev/provenance/v1",
	PredicateSLSA02:    "https://slsa.dev/provenance/v0.2",
	"slsaprovenance02": "https://slsa.dev/provenance/v0.2",
	"link":             "https://in-toto.io/Link/v1",
	"vuln":             "https://cosign.sigstore.dev/attestation/vuln/v1",
	PredicateOpenVEX:   "https://openvex.dev/ns",
	PredicateCustom:    "https://cosign.sigstore.dev/attestation/v1",
}

// shortNames maps a URI back to the short name whose statement cosign
// builds with a typed predicate (JSON SBOMs, not SPDX tag-value).
var shortNames = map[string]string{
	"https://spdx.dev/Document":        PredicateSPDXJSON,
	"https://cyclonedx.org/bom":        PredicateCycloneDX,
	"https://slsa.dev/provenance/v1":   PredicateSLSA1,
	"https://slsa.dev/provenance/v0.2": PredicateSLSA02,
	"https://openvex.dev/ns":           PredicateOpenVEX,
}

// PredicateTypeURI resolves a short name (spdxjson, cyclonedx,
// slsaprovenance1, …) or a URI to the predicate type URI stored in
// statements, as cosign attest --type does.
func PredicateTypeURI(t string) (string, error) {
	if u, ok := predicateURIs[t]; ok {
		return u, nil
	}
	if _, err := url.ParseRequestURI(t); err != nil {
		return "", fmt.Errorf("predicate type %q: neither a known name (spdxjson, cyclonedx, slsaprovenance1, openvex, custom) nor a URI", t)
	}
	return t, nil
}

// generatorType is the name cosign's attestation.GenerateStatement switches
// on: known URIs become their short name so their predicates are checked and
// typed as cosign does; other URIs are custom types whose predicate must be
// JSON.
func generatorType(t string) string {
	if _, ok := predicateURIs[t]; ok {
		return t
	}
	if n, ok := shortNames[t]; ok {
		return n
	}
	return t
}

// Attest makes an in-toto statement about subject with the given predicate,
// signs it as a DSSE envelope and stores it where cosign v2 looks: a layer
// of the image tagged sha256-<hex>.att, annotated with its predicateType.
//
// predicateType is a short name (PredicateSPDXJSON, PredicateCycloneDX,
// PredicateSLSA1, …) or any URI; predicate is the JSON document (an SBOM,
// Provenance(...)'s output, …). Options read: WithRemoteOptions,
// WithRecursive, WithTlogUpload, WithRekorURL, WithMaxTlogEntry (and
// WithClaimedIdentity for layouts: the statement's subject name).
// Annotations are not supported on attestations, as with cosign attest.
//
// An attestation already present with the same statement and signed by the
// same key is not made again (the statement is deterministic except for
// the "custom" type, whose cosign wrapper carries a timestamp).
//
// With the transparency log on (always for keyless signers), an envelope
// larger than WithMaxTlogEntry is refused before signing: Rekor stores the
// whole envelope and rejects large ones (see DefaultMaxTlogEntry).
func Attest(ctx context.Context, subject name.Digest, s *Signer, predicateType string, predicate []byte, opts ...Option) (*Result, error) {
	h, err := checkDigest(subject)
	if err != nil {
		return nil, fmt.Errorf("attesting: %w", err)
	}
	o := makeOptions(ctx, opts)
	t := &registryTarget{repo: subject.Context(), ro: o.remote}
	return run(ctx, t, h, s, o, attestStep(predicateType, predicate))
}

func attestStep(predicateType string, predicate []byte) step {
	return func(ctx context.Context, t target, h v1.Hash, s *Signer, o *options) (bool, error) {
		return attestOne(ctx, t, h, s, o, predicateType, predicate)
	}
}

func attestOne(ctx context.Context, t target, h v1.Hash, s *Signer, o *options, predicateType string, predicate []byte) (bool, error) {
	fail := func(err error) (bool, error) {
		return false, fmt.Errorf("attesting %s@%s (%s): %w", t, h, predicateType, err)
	}
	uri, err := PredicateTypeURI(predicateType)
	if err != nil {
		return fail(err)
	}
	payload, err := statementPayload(predicateType, uri, predicate, h, t.subject(h).Repository.String())
	if err != nil {
		return fail(err)
	}
	tag := AttachedTag(h, AttestationSuffix)
	base, err := t.read(ctx, tag)
	if err != nil {
		return fail(err)
	}
	if !s.Keyless() {
		dup, err := hasAttestation(base, s.sv, uri, payload)
		if err != nil {
			return fail(fmt.Errorf("reading existing attestations: %w", err))
		}
		if dup {
			return true, nil
		}
	}
	upload, _ := o.upload(s)
	if upload && o.maxTlogEntry > 0 && len(payload) > o.maxTlogEntry {
		// Checked on the statement, before signing: the envelope is larger
		// still (base64), and failing after a KMS signature or a Fulcio
		// certificate would waste both.
		return fail(fmt.Errorf("statement of %d bytes exceeds the %d-byte transparency-log bound: Rekor stores the whole envelope and rejects large ones (sigstore/cosign#3599); sign with a key and tlog upload off (verify with --insecure-ignore-tlog), attest a smaller predicate, or raise WithMaxTlogEntry for a private Rekor that accepts it", len(payload), o.maxTlogEntry))
	}
	env, err := dsse.WrapSigner(s.sv, ctypes.IntotoPayloadType).SignMessage(bytes.NewReader(payload), sigopts.WithContext(ctx))
	if err != nil {
		return fail(err)
	}
	sopts := []static.Option{
		static.WithLayerMediaType(ctypes.DssePayloadType),
		static.WithAnnotations(map[string]string{predicateAnnotation: uri}),
	}
	if s.Keyless() {
		sopts = append(sopts, static.WithCertChain(s.cert, s.chain))
	}
	if upload {
		b, err := uploadEnvelope(ctx, o.rekor(s), s, env)
		if err != nil {
			return fail(err)
		}
		sopts = append(sopts, static.WithBundle(b))
	}
	att, err := static.NewAttestation(env, sopts...)
	if err != nil {
		return fail(err)
	}
	atts, err := mutate.AppendSignatures(base, false, att)
	if err != nil {
		return fail(err)
	}
	if err := t.write(ctx, tag, atts); err != nil {
		return fail(err)
	}
	return false, nil
}

// envelope is a DSSE envelope as cosign stores it.
type envelope struct {
	PayloadType string `json:"payloadType"`
	Payload     string `json:"payload"`
	Signatures  []struct {
		Sig string `json:"sig"`
	} `json:"signatures"`
}

// hasAttestation reports whether atts holds an envelope of predicate type
// uri around exactly payload, signed by v. cosign's DupeDetector cannot
// tell: each envelope embeds its own (randomised) signature, so two
// attestations of the same statement never have the same layer digest.
func hasAttestation(atts oci.Signatures, v signature.Verifier, uri string, payload []byte) (bool, error) {
	list, err := atts.Get()
	if err != nil {
		return false, err
	}
	for _, a := range list {
		ann, err := a.Annotations()
		if err != nil || ann[predicateAnnotation] != uri {
			continue
		}
		raw, err := a.Payload()
		if err != nil {
			return false, err
		}
		var e envelope
		if json.Unmarshal(raw, &e) != nil {
			continue
		}
		p, err := base64.StdEncoding.DecodeString(e.Payload)
		if err != nil || !bytes.Equal(p, payload) {
			continue
		}
		if dsse.WrapVerifier(v).VerifySignature(bytes.NewReader(raw), nil) == nil {
			return true, nil
		}
	}
	return false, nil
}
