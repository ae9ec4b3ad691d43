package sign

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	cremote "github.com/sigstore/cosign/v2/pkg/cosign/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	sigopts "github.com/sigstore/sigstore/pkg/signature/options"
	sigpayload "github.com/sigstore/sigstore/pkg/signature/payload"
)

// Result says what Sign or Attest did, per digest.
type Result struct {
	// Signed lists the digests that received a new signature or attestation.
	Signed []v1.Hash
	// Skipped lists the digests that already carried an equivalent one by
	// the same key (same payload, verifying with this key), so nothing was
	// written for them.
	Skipped []v1.Hash
}

// Sign signs subject in its registry and stores the signature where cosign
// v2 looks for it: a layer of the image tagged sha256-<hex>.sig in the same
// repository, holding cosign's simple signing payload.
//
// Options read: WithRemoteOptions, WithAnnotations, WithRecursive (also sign
// each manifest of an index, children first), WithTlogUpload, WithRekorURL,
// WithClaimedIdentity.
//
// Signing is idempotent for key signers: a digest whose .sig image already
// holds a signature of the same payload that verifies with this key is
// skipped (listed in Result.Skipped) without calling the key.
func Sign(ctx context.Context, subject name.Digest, s *Signer, opts ...Option) (*Result, error) {
	h, err := checkDigest(subject)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	o := makeOptions(ctx, opts)
	t := &registryTarget{repo: subject.Context(), ro: o.remote}
	return run(ctx, t, h, s, o, signOne)
}

type step func(ctx context.Context, t target, h v1.Hash, s *Signer, o *options) (skipped bool, err error)

// run applies one signing step to h and, when recursive, to its children
// first, so an index is only signed once all it references is.
func run(ctx context.Context, t target, h v1.Hash, s *Signer, o *options, fn step) (*Result, error) {
	if err := s.valid(); err != nil {
		return nil, fmt.Errorf("signing %s@%s: %w", t, h, err)
	}
	if _, err := o.upload(s); err != nil {
		return nil, fmt.Errorf("signing %s@%s: %w", t, h, err)
	}
	return each(ctx, t, h, s, o, fn)
}

// each runs fn on h and, with WithRecursive, on every manifest h
// references, children first. Bundles use it directly: their transparency
// log is the signer's own (a signing config's), which the legacy upload
// policy run checks does not apply to.
func each(ctx context.Context, t target, h v1.Hash, s *Signer, o *options, fn step) (*Result, error) {
	todo := []v1.Hash{h}
	if o.recursive {
		kids, err := t.children(ctx, h)
		if err != nil {
			return nil, fmt.Errorf("signing %s@%s recursively: %w", t, h, err)
		}
		todo = append(kids, h)
	}
	res := &Result{}
	seen := map[v1.Hash]bool{}
	for _, d := range todo {
		if seen[d] {
			continue
		}
		seen[d] = true
		if err := ctx.Err(); err != nil {
			return res, err
		}
		skipped, err := fn(ctx, t, d, s, o)
		if err != nil {
			return res, err
		}
		if skipped {
			res.Skipped = append(res.Skipped, d)
		} else {
			res.Signed = append(res.Signed, d)
		}
	}
	if rt, ok := t.(*registryTarget); ok {
		if err := rt.settle(ctx); err != nil {
			return res, fmt.Errorf("signing %s@%s: %w", t, h, err)
		}
	}
	return res, nil
}

// upload decides whether entries go to Rekor.
func (o *options) upload(s *Signer) (bool, error) {
	if s.Keyless() {
		if err := s.kb.legacyTlog(); err != nil {
			return false, err
		}
		if o.tlogUpload != nil && !*o.tlogUpload {
			return false, fmt.Errorf("keyless signing needs the transparency log: the Fulcio certificate expires after 10 minutes and only the Rekor entry proves the signature was made while it was valid (remove WithTlogUpload(false), or sign with a key)")
		}
		return true, nil
	}
	return o.tlogUpload != nil && *o.tlogUpload, nil
}

func signOne(ctx context.Context, t target, h v1.Hash, s *Signer, o *options) (bool, error) {
	subj := t.subject(h)
	ann := make(map[string]any, len(o.annotations))
	for k, v := range o.annotations {
		ann[k] = v
	}
	if len(ann) == 0 {
		ann = nil
	}
	payload, err := (&sigpayload.Cosign{Image: subj, ClaimedIdentity: o.identity, Annotations: ann}).MarshalJSON()
	if err != nil {
		return false, fmt.Errorf("signing %s@%s: making payload: %w", t, h, err)
	}
	tag := AttachedTag(h, SignatureSuffix)
	base, err := t.read(ctx, tag)
	if err != nil {
		return false, fmt.Errorf("signing %s@%s: %w", t, h, err)
	}
	if !s.Keyless() {
		// cosign's own duplicate check, run before signing so a re-run costs
		// no KMS call and no Rekor entry. An unsigned candidate is enough:
		// it compares payload digest and media type and verifies the
		// existing signature with our key.
		cand, err := static.NewSignature(payload, "")
		if err != nil {
			return false, err
		}
		dup, err := cremote.NewDupeDetector(s.sv).Find(base, cand)
		if err != nil {
			return false, fmt.Errorf("signing %s@%s: reading existing signatures: %w", t, h, err)
		}
		if dup != nil {
			return true, nil
		}
	}
	raw, err := s.sv.SignMessage(bytes.NewReader(payload), sigopts.WithContext(ctx))
	if err != nil {
		return false, fmt.Errorf("signing %s@%s: %w", t, h, err)
	}
	var sopts []static.Option
	if s.Keyless() {
		sopts = append(sopts, static.WithCertChain(s.cert, s.chain))
	}
	if up, _ := o.upload(s); up {
		b, err := uploadSignature(ctx, o.rekor(s), s, raw, payload)
		if err != nil {
			return false, fmt.Errorf("signing %s@%s: %w", t, h, err)
		}
		sopts = append(sopts, static.WithBundle(b))
	}
	sig, err := static.NewSignature(payload, base64.StdEncoding.EncodeToString(raw), sopts...)
	if err != nil {
		return false, fmt.Errorf("signing %s@%s: %w", t, h, err)
	}
	// No creation timestamp: the .sig image then depends only on its
	// signatures, as with cosign's default.
	sigs, err := mutate.AppendSignatures(base, false, sig)
	if err != nil {
		return false, fmt.Errorf("signing %s@%s: %w", t, h, err)
	}
	if err := t.write(ctx, tag, sigs); err != nil {
		return false, fmt.Errorf("signing %s@%s: %w", t, h, err)
	}
	return false, nil
}
