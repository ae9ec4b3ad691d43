package sign

import (
	"context"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/oci"
)

// layoutRepoPlaceholder stands for the registry repository in the cosign
// command of a layout verification when no claimed identity was given.
const layoutRepoPlaceholder = "REGISTRY/REPOSITORY"

// VerifyLayout is Verify for a digest held in the OCI layout at layoutPath
// (listed in index.json or a child of a listed index): VerifyLayoutFormat
// with AnyFormat.
func VerifyLayout(ctx context.Context, layoutPath string, digest v1.Hash, opts ...Option) (*Verified, error) {
	return VerifyLayoutFormat(ctx, layoutPath, digest, AnyFormat, opts...)
}

// VerifyLayoutFormat verifies a digest held in the OCI layout at
// layoutPath, offline, reading the stores f names: the Sigstore bundle
// referrers SignLayoutBundles listed in index.json first (sigstore-go),
// then the sha256-<hex>.sig image SignLayout listed there (cosign's
// verifier), as VerifyFormat does in a registry.
//
// Verified.Subject names the digest in the claimed identity's repository
// (WithClaimedIdentity, else LayoutIdentity). cosign itself cannot read
// signatures from such a layout (its own layout format holds one image), so
// Verified.Command is the cosign command to run once the image and its
// signatures are published (CopySignatures, or stevedore publish): in the
// repository given with WithClaimedIdentity, else REGISTRY/REPOSITORY.
//
// Errors and options: as Verify (WithRemoteOptions is not used); with
// WithRecursive every manifest of an index must verify too.
func VerifyLayoutFormat(ctx context.Context, layoutPath string, digest v1.Hash, f Format, opts ...Option) (*Verified, error) {
	o := makeOptions(ctx, opts)
	t, err := openLayout(layoutPath, digest, o)
	if err != nil {
		return nil, fmt.Errorf("verifying oci:%s@%s: %w", layoutPath, digest, err)
	}
	out, err := o.verifyLayoutOne(ctx, t, layoutPath, digest, f)
	if err != nil || !o.recursive {
		return out, err
	}
	kids, err := t.children(ctx, digest)
	if err != nil {
		return nil, fmt.Errorf("verifying oci:%s@%s recursively: %w", layoutPath, digest, err)
	}
	for _, k := range kids {
		v, err := o.verifyLayoutOne(ctx, t, layoutPath, k, f)
		if err != nil {
			return nil, fmt.Errorf("verifying platform manifest %s of index %s: %w", k, digest, err)
		}
		out.Platforms = append(out.Platforms, v)
	}
	return out, nil
}

func (o *options) verifyLayoutOne(ctx context.Context, t *layoutTarget, layoutPath string, digest v1.Hash, f Format) (*Verified, error) {
	fail := func(err error) (*Verified, error) {
		return nil, fmt.Errorf("verifying oci:%s@%s: %w", layoutPath, digest, err)
	}
	subject := t.subject(digest)
	tag := AttachedTag(digest, SignatureSuffix)
	list, err := layoutList(ctx, t, tag)
	if err != nil {
		return fail(err)
	}
	bsigs, err := o.bundlesFirst(ctx, t, digest, CosignSignPredicate, f, "no Sigstore bundle referrer in the layout's index.json (sign it with --format bundle)", func() bool { return len(list.list) > 0 })
	if err != nil {
		return fail(err)
	}
	if len(bsigs) > 0 {
		return &Verified{Subject: subject, Signatures: bsigs, Bundle: true, Command: o.layoutCommand("verify", "", t, digest, true)}, nil
	}
	if len(list.list) == 0 {
		return fail(fmt.Errorf("%w: no %s entry in the layout's index.json (sign it first)", ErrNoSignature, tag))
	}
	co, err := o.checkOpts(ctx, subject, anyTlogged(list.list))
	if err != nil {
		return fail(err)
	}
	co.ClaimVerifier = cosign.SimpleClaimVerifier
	var (
		reasons []string
		out     = &Verified{Subject: subject, Command: o.layoutCommand("verify", "", t, digest, false)}
	)
	for _, s := range list.list {
		tlog, err := cosign.VerifyImageSignature(ctx, s, digest, co)
		if err != nil {
			reasons = append(reasons, err.Error())
			continue
		}
		out.Signatures = append(out.Signatures, signatureInfo(s, tlog))
	}
	if len(out.Signatures) == 0 {
		return fail(fmt.Errorf("%w: none of %d signature(s) verifies: %s", ErrInvalidSignature, len(list.list), strings.Join(reasons, "; ")))
	}
	return out, nil
}

// VerifyLayoutAttestation is VerifyAttestation for a digest in an OCI
// layout: VerifyLayoutAttestationFormat with AnyFormat.
func VerifyLayoutAttestation(ctx context.Context, layoutPath string, digest v1.Hash, predicateType string, opts ...Option) (*Verified, error) {
	return VerifyLayoutAttestationFormat(ctx, layoutPath, digest, predicateType, AnyFormat, opts...)
}

// VerifyLayoutAttestationFormat verifies the attestations of predicateType
// of a digest in an OCI layout, reading the stores f names: the bundle
// referrers AttestLayoutBundle listed first, then the sha256-<hex>.att
// image AttestLayout listed. Subject and Command: as VerifyLayout.
func VerifyLayoutAttestationFormat(ctx context.Context, layoutPath string, digest v1.Hash, predicateType string, f Format, opts ...Option) (*Verified, error) {
	o := makeOptions(ctx, opts)
	fail := func(err error) (*Verified, error) {
		return nil, fmt.Errorf("verifying %s attestation of oci:%s@%s: %w", predicateType, layoutPath, digest, err)
	}
	uri, err := PredicateTypeURI(predicateType)
	if err != nil {
		return fail(err)
	}
	t, err := openLayout(layoutPath, digest, o)
	if err != nil {
		return fail(err)
	}
	subject := t.subject(digest)
	list, err := layoutList(ctx, t, AttachedTag(digest, AttestationSuffix))
	if err != nil {
		return fail(err)
	}
	batts, err := o.bundlesFirst(ctx, t, digest, uri, f, "no Sigstore bundle referrer of type "+uri+" in the layout's index.json (attest it with --format bundle)", func() bool { n, _ := countTypes(list.list, uri); return n > 0 })
	if err != nil {
		return fail(err)
	}
	if len(batts) > 0 {
		return &Verified{Subject: subject, Signatures: batts, Bundle: true, Command: o.layoutCommand("verify-attestation", predicateType, t, digest, true)}, nil
	}
	co, err := o.checkOpts(ctx, subject, anyTlogged(list.list))
	if err != nil {
		return fail(err)
	}
	co.ClaimVerifier = cosign.IntotoSubjectClaimVerifier
	if n, types := countTypes(list.list, uri); n == 0 {
		found := "none"
		if len(types) > 0 {
			found = strings.Join(types, ", ")
		}
		return fail(fmt.Errorf("%w: no attestation of type %s in the layout (found: %s)", ErrNoSignature, uri, found))
	}
	atts, tlog, err := cosign.VerifyImageAttestation(ctx, list, digest, co)
	if err != nil {
		return fail(classify(err))
	}
	out := &Verified{Subject: subject, Command: o.layoutCommand("verify-attestation", predicateType, t, digest, false)}
	if out.Signatures = attestationsOf(atts, tlog, uri); len(out.Signatures) == 0 {
		return fail(fmt.Errorf("%w: attestations of type %s exist but none verifies (other types do)", ErrInvalidSignature, uri))
	}
	return out, nil
}

func layoutList(ctx context.Context, t *layoutTarget, tag string) (readSigs, error) {
	sigs, err := t.read(ctx, tag)
	if err != nil {
		return readSigs{}, err
	}
	list, err := sigs.Get()
	if err != nil {
		return readSigs{}, fmt.Errorf("reading %s:%s: %w", t, tag, err)
	}
	return readSigs{Signatures: sigs, list: list}, nil
}

// readSigs hands an already read list to cosign's verifiers.
type readSigs struct {
	oci.Signatures
	list []oci.Signature
}

func (s readSigs) Get() ([]oci.Signature, error) { return s.list, nil }

// layoutCommand is the cosign command checking the same thing after
// publishing (see VerifyLayout), for bundles or legacy signatures.
func (o *options) layoutCommand(verb, predicateType string, t *layoutTarget, h v1.Hash, bundle bool) string {
	cmd := o.command(verb, predicateType, t.subject(h))
	if bundle {
		cmd = o.bundleCommand(verb, predicateType, t.subject(h))
	}
	if o.identity == "" {
		cmd = strings.Replace(cmd, LayoutIdentity, layoutRepoPlaceholder, 1)
	}
	return cmd
}
