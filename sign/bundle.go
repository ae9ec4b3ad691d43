package sign

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
)

// The Sigstore bundle format as cosign v3 attaches it: an OCI 1.1 artifact
// whose subject is the signed manifest, found through the referrers API or,
// on registries without it, the referrers tag schema (sha256-<hex> index).
const (
	// BundleArtifactType is the artifactType of a bundle referrer and the
	// media type of its one layer.
	BundleArtifactType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// CosignSignPredicate is the predicate type of the in-toto statement
	// cosign v3 signs for `cosign sign` (an image signature, not an
	// attestation).
	CosignSignPredicate = "https://sigstore.dev/cosign/sign/v1"
	// bundlePredicateAnnotation names the statement's predicate type on the
	// referrer manifest, so attestations of one type are found unread.
	bundlePredicateAnnotation = "dev.sigstore.bundle.predicateType"
	// maxBundleSize bounds a bundle read from a registry.
	maxBundleSize = 16 << 20
)

// bundleStatement is the in-toto statement inside a bundle's DSSE envelope.
type bundleStatement struct {
	Subject []struct {
		Name        string            `json:"name"`
		Digest      map[string]string `json:"digest"`
		Annotations map[string]any    `json:"annotations"`
	} `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

// foundBundle is one bundle attached to a subject.
type foundBundle struct {
	desc   v1.Descriptor
	bundle *bundle.Bundle
	raw    []byte
	// img is the referrer manifest, to copy it whole.
	img v1.Image
}

// listBundles returns the bundles attached to subject in its registry whose
// referrer manifest announces predicate type uri.
func listBundles(subject name.Digest, uri string, ropts []remote.Option) ([]foundBundle, error) {
	h, err := checkDigest(subject)
	if err != nil {
		return nil, err
	}
	return findBundles(context.Background(), &registryTarget{repo: subject.Context(), ro: ropts}, h, uri)
}

// findBundles returns the bundles attached to h in t whose referrer
// manifest announces predicate type uri ("" for every type).
func findBundles(ctx context.Context, t target, h v1.Hash, uri string) ([]foundBundle, error) {
	descs, err := t.referrers(ctx, h)
	if err != nil {
		return nil, fmt.Errorf("listing referrers of %s@%s: %w", t, h, err)
	}
	other := func(ann map[string]string) bool {
		pt, ok := ann[bundlePredicateAnnotation]
		return uri != "" && ok && pt != uri
	}
	var out []foundBundle
	for _, d := range descs {
		if d.ArtifactType != BundleArtifactType && d.ArtifactType != "" && d.ArtifactType != emptyConfigType {
			continue
		}
		if other(d.Annotations) {
			continue
		}
		fail := func(err error) ([]foundBundle, error) {
			return nil, fmt.Errorf("reading bundle %s@%s: %w", t, d.Digest, err)
		}
		img, err := t.manifest(ctx, d.Digest)
		if err != nil {
			return fail(err)
		}
		m, err := img.Manifest()
		if err != nil {
			return fail(err)
		}
		// The index entry may omit annotations; the manifest has them.
		if other(m.Annotations) {
			continue
		}
		if m.ArtifactType != BundleArtifactType || m.Subject == nil || m.Subject.Digest != h || len(m.Layers) != 1 || string(m.Layers[0].MediaType) != BundleArtifactType {
			continue
		}
		layers, err := img.Layers()
		if err != nil {
			return fail(err)
		}
		rc, err := layers[0].Compressed()
		if err != nil {
			return fail(err)
		}
		raw, err := io.ReadAll(io.LimitReader(rc, maxBundleSize))
		rc.Close()
		if err != nil {
			return fail(err)
		}
		b := &bundle.Bundle{}
		if err := b.UnmarshalJSON(raw); err != nil {
			// A malformed bundle is an attached signature that does not
			// verify, reported as such below.
			b = nil
		}
		out = append(out, foundBundle{desc: d, bundle: b, raw: raw, img: img})
	}
	return out, nil
}

// verifyBundles verifies h's bundles in t of predicate type uri with
// sigstore-go. It returns the verified ones, and an ErrInvalidSignature
// error naming why the last one failed when bundles exist and none
// verifies; (nil, nil) when there are none.
func (o *options) verifyBundles(ctx context.Context, t target, h v1.Hash, uri string) ([]Signature, error) {
	subject := t.subject(h)
	found, err := findBundles(ctx, t, h, uri)
	if err != nil || len(found) == 0 {
		return nil, err
	}
	v, err := o.bundleVerifier()
	if err != nil {
		return nil, err
	}
	policy, err := o.bundlePolicy(subject)
	if err != nil {
		return nil, err
	}
	var (
		out     []Signature
		lastErr error
	)
	for _, f := range found {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		info, err := o.verifyBundle(v, policy, f, subject, uri)
		if err != nil {
			lastErr = fmt.Errorf("bundle %s: %w", f.desc.Digest, err)
			continue
		}
		out = append(out, info)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %d bundle(s) attached, none verifies: %w", ErrInvalidSignature, len(found), lastErr)
	}
	return out, nil
}

func (o *options) verifyBundle(v *verify.Verifier, policy verify.PolicyBuilder, f foundBundle, subject name.Digest, uri string) (Signature, error) {
	if f.bundle == nil {
		return Signature{}, errors.New("not a Sigstore bundle")
	}
	return o.checkEntity(v, policy, f.bundle, subject, uri)
}

// checkEntity verifies one signed entity (a bundle) and reads the verified
// statement: predicate type, predicate, signed annotations, identity.
func (o *options) checkEntity(v *verify.Verifier, policy verify.PolicyBuilder, e verify.SignedEntity, subject name.Digest, uri string) (Signature, error) {
	res, err := v.Verify(e, policy)
	if err != nil {
		return Signature{}, err
	}
	st, err := verifiedStatement(e)
	if err != nil {
		return Signature{}, err
	}
	// The predicate type is signed; the manifest annotation is not.
	if st.PredicateType != uri {
		return Signature{}, fmt.Errorf("signed predicate type %s, want %s", st.PredicateType, uri)
	}
	info := Signature{Tlog: len(res.VerifiedTimestamps) > 0}
	if res.VerifiedIdentity != nil {
		info.Identity = res.VerifiedIdentity.SubjectAlternativeName.SubjectAlternativeName
		info.Issuer = res.VerifiedIdentity.Issuer.Issuer
	}
	if res.Signature != nil && res.Signature.Certificate != nil {
		info.Identity = res.Signature.Certificate.SubjectAlternativeName
		info.Issuer = res.Signature.Certificate.Issuer
	}
	if uri == CosignSignPredicate {
		// What the statement names (a layout's placeholder, carried by
		// publish), else where it was found.
		info.ClaimedIdentity = subject.Context().String()
		for _, s := range st.Subject {
			if s.Name != "" {
				info.ClaimedIdentity = s.Name
			}
			for k, val := range s.Annotations {
				if info.Annotations == nil {
					info.Annotations = map[string]string{}
				}
				info.Annotations[k] = fmt.Sprint(val)
			}
		}
		for k, want := range o.annotations {
			if got, ok := info.Annotations[k]; !ok || got != want {
				return Signature{}, fmt.Errorf("annotation %s=%q required, signed %q", k, want, got)
			}
		}
	} else {
		info.PredicateType, info.Predicate = st.PredicateType, st.Predicate
	}
	return info, nil
}

// bundleVerifier builds sigstore-go's verifier: for a key, the key alone
// (bundles signed with a key and no transparency log, as stevedore and
// `cosign sign --key` with an empty signing config make, carry no
// timestamp); keyless, the trusted root with the transparency log and
// certificate transparency checks the options leave on.
func (o *options) bundleVerifier() (*verify.Verifier, error) {
	if o.key != nil {
		key := root.NewExpiringKey(o.key.v, time.Time{}, time.Time{})
		tm := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) { return key, nil })
		v, err := verify.NewVerifier(tm, verify.WithNoObserverTimestamps())
		if err != nil {
			return nil, fmt.Errorf("configuring bundle verification: %w", err)
		}
		return v, nil
	}
	tm, err := o.trustedMaterial()
	if err != nil {
		return nil, err
	}
	return o.keylessVerifier(tm)
}

// keylessVerifier verifies certificates against tm, with the transparency
// log and certificate transparency checks the options leave on.
func (o *options) keylessVerifier(tm root.TrustedMaterial) (*verify.Verifier, error) {
	var vo []verify.VerifierOption
	if !o.ignoreTlog {
		vo = append(vo, verify.WithTransparencyLog(1))
	}
	if !o.ignoreSCT {
		vo = append(vo, verify.WithSignedCertificateTimestamps(1))
	}
	vo = append(vo, verify.WithObserverTimestamps(1))
	v, err := verify.NewVerifier(tm, vo...)
	if err != nil {
		return nil, fmt.Errorf("configuring bundle verification: %w", err)
	}
	return v, nil
}

// bundlePolicy requires the statement's subject to be subject's digest, and
// the key or the keyless identity.
func (o *options) bundlePolicy(subject name.Digest) (verify.PolicyBuilder, error) {
	h, err := v1.NewHash(subject.DigestStr())
	if err != nil {
		return verify.PolicyBuilder{}, err
	}
	sum, err := hex.DecodeString(h.Hex)
	if err != nil {
		return verify.PolicyBuilder{}, fmt.Errorf("decoding digest of %s: %w", subject, err)
	}
	artifact := verify.WithArtifactDigest(h.Algorithm, sum)
	if o.key != nil {
		return verify.NewPolicy(artifact, verify.WithKey()), nil
	}
	if (o.certIdentity == "" && o.certIdentityRE == "") || (o.issuer == "" && o.issuerRE == "") {
		return verify.PolicyBuilder{}, errors.New("no key and no keyless identity: pass --key, or both --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp]")
	}
	id, err := o.certificateIdentity()
	if err != nil {
		return verify.PolicyBuilder{}, fmt.Errorf("reading the keyless identity: %w", err)
	}
	return verify.NewPolicy(artifact, verify.WithCertificateIdentity(id)), nil
}

// verifiedStatement decodes the in-toto statement of e's DSSE envelope, the
// bytes the signature covers.
func verifiedStatement(e verify.SignedEntity) (*bundleStatement, error) {
	p, err := bundlePayload(e)
	if err != nil {
		return nil, err
	}
	var st bundleStatement
	if err := json.NewDecoder(bytes.NewReader(p)).Decode(&st); err != nil {
		return nil, fmt.Errorf("reading bundle statement: %w", err)
	}
	return &st, nil
}

// bundlePayload is the payload of e's DSSE envelope.
func bundlePayload(e verify.SignedEntity) ([]byte, error) {
	sc, err := e.SignatureContent()
	if err != nil {
		return nil, fmt.Errorf("reading bundle: %w", err)
	}
	env := sc.EnvelopeContent()
	if env == nil || env.RawEnvelope() == nil {
		return nil, errors.New("bundle holds no DSSE envelope (a message signature names no image)")
	}
	p, err := base64.StdEncoding.DecodeString(env.RawEnvelope().Payload)
	if err != nil {
		return nil, fmt.Errorf("decoding bundle payload: %w", err)
	}
	return p, nil
}

// bundlesFirst is the bundle half of verifying h in t in format f: the
// verified bundles when some verify; the verdict as an error when f is
// BundleFormat (none says what is missing) or when the bundles failed and
// legacy reports no legacy entries to fall back on; (nil, nil) to go on
// with the legacy store.
func (o *options) bundlesFirst(ctx context.Context, t target, h v1.Hash, uri string, f Format, none string, legacy func() bool) ([]Signature, error) {
	if f == LegacyFormat {
		return nil, nil
	}
	sigs, err := o.verifyBundles(ctx, t, h, uri)
	switch {
	case len(sigs) > 0:
		return sigs, nil
	case f == BundleFormat && err == nil:
		return nil, fmt.Errorf("%w: %s", ErrNoSignature, none)
	case f == BundleFormat, err != nil && !legacy():
		return nil, err
	}
	return nil, nil
}

// hasLegacy reports whether subject has legacy .sig/.att entries (of
// predicate type uri): when its bundles failed and it has none, the bundle
// failure is the verdict, reached without the legacy path's trusted-root
// lookup. A registry error counts as "maybe", left to the legacy path.
func (o *options) hasLegacy(subject name.Digest, h v1.Hash, suffix, uri string) bool {
	n, _, _, err := countAttached(subject, h, suffix, uri, o.registryOpts(subject))
	return err != nil || n > 0
}
