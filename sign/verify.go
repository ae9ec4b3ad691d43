package sign

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/oci"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	sigpayload "github.com/sigstore/sigstore/pkg/signature/payload"
)

// Verified is what Verify and VerifyAttestation checked.
type Verified struct {
	Subject name.Digest
	// Signatures lists every signature (or attestation of the requested
	// type) that verified.
	Signatures []Signature
	// Command is the equivalent cosign command line, for users who want to
	// check with cosign itself (key paths as given, or "cosign.pub" for a
	// key loaded from bytes).
	Command string
	// Bundle reports that what verified are Sigstore bundle referrers, not
	// the legacy tag.
	Bundle bool
	// Platforms are the manifests of an index verified with
	// WithRecursive (VerifyFormat, VerifyLayout), each as its own Verified.
	Platforms []*Verified
}

// Signature is one verified signature or attestation.
type Signature struct {
	// Identity and Issuer are the keyless certificate's subject and OIDC
	// issuer; empty for key signatures.
	Identity, Issuer string
	// ClaimedIdentity is the docker-reference the signature payload claims
	// (signatures only).
	ClaimedIdentity string
	// Annotations are the signed annotations (signatures only).
	Annotations map[string]string
	// PredicateType and Predicate are the in-toto statement's (attestations
	// only).
	PredicateType string
	Predicate     json.RawMessage
	// Tlog reports a verified transparency-log entry.
	Tlog bool
}

// Verify checks the signatures of subject in its registry, against a key
// (WithKey) or a keyless identity (WithCertIdentity[Regexp] and
// WithCertOIDCIssuer[Regexp], plus WithGitHubWorkflow). With
// WithAnnotations, a signature must also carry those annotations.
//
// Errors: ErrNoSignature when subject has no signature at all,
// ErrInvalidSignature (with cosign's reason) when none verifies.
// Options read: WithRemoteOptions, WithKey, WithCertIdentity,
// WithCertIdentityRegexp, WithCertOIDCIssuer, WithCertOIDCIssuerRegexp,
// WithGitHubWorkflow, WithAnnotations, WithIgnoreTlog, WithIgnoreSCT,
// WithTrustedRoot, WithRecursive (see VerifyFormat). Transparency-log entries are checked offline, from the
// bundle stored with each signature.
func Verify(ctx context.Context, subject name.Digest, opts ...Option) (*Verified, error) {
	return VerifyFormat(ctx, subject, AnyFormat, opts...)
}

// Format selects which signature store VerifyFormat reads.
type Format int

const (
	// AnyFormat accepts a verified bundle referrer, else the legacy tag.
	AnyFormat Format = iota
	// LegacyFormat reads only the sha256-<hex>.sig tag (cosign v2).
	LegacyFormat
	// BundleFormat reads only Sigstore bundle referrers (cosign v3).
	BundleFormat
)

// VerifyFormat is Verify reading only the store f names, so a caller that
// wrote both formats checks each was written. With WithRecursive, every
// manifest an index references must verify too (cosign verify has no such
// check: a platform signature removed from the registry goes unnoticed);
// Verified.Platforms lists them, and the first that does not verify is the
// error, naming the platform digest.
func VerifyFormat(ctx context.Context, subject name.Digest, f Format, opts ...Option) (*Verified, error) {
	h, err := checkDigest(subject)
	if err != nil {
		return nil, fmt.Errorf("verifying: %w", err)
	}
	o := makeOptions(ctx, opts)
	out, err := o.verifyOne(ctx, subject, h, f)
	if err != nil || !o.recursive {
		return out, err
	}
	t := &registryTarget{repo: subject.Context(), ro: o.remote}
	kids, err := t.children(ctx, h)
	if err != nil {
		return nil, fmt.Errorf("verifying %s recursively: %w", subject, err)
	}
	for _, k := range kids {
		v, err := o.verifyOne(ctx, t.subject(k), k, f)
		if err != nil {
			return nil, fmt.Errorf("verifying platform manifest %s of index %s: %w", k, subject, err)
		}
		out.Platforms = append(out.Platforms, v)
	}
	return out, nil
}

func (o *options) verifyOne(ctx context.Context, subject name.Digest, h v1.Hash, f Format) (*Verified, error) {
	fail := func(err error) (*Verified, error) { return nil, fmt.Errorf("verifying %s: %w", subject, err) }
	// Bundles (cosign v3's format) first, then the legacy .sig tag.
	t := &registryTarget{repo: subject.Context(), ro: o.remote}
	bsigs, err := o.bundlesFirst(ctx, t, h, CosignSignPredicate, f, "no Sigstore bundle referrer (sign it with --format bundle)", func() bool { return o.hasLegacy(subject, h, SignatureSuffix, "") })
	if err != nil {
		return fail(err)
	}
	if len(bsigs) > 0 {
		return &Verified{Subject: subject, Signatures: bsigs, Bundle: true, Command: o.bundleCommand("verify", "", subject)}, nil
	}
	if err := o.requireSigner(); err != nil {
		return fail(err)
	}
	n, _, tlogged, err := countAttached(subject, h, SignatureSuffix, "", o.registryOpts(subject))
	if err != nil {
		return fail(err)
	}
	if n == 0 {
		return fail(fmt.Errorf("%w: no %s image (sign it first)", ErrNoSignature, AttachedTag(h, SignatureSuffix)))
	}
	co, err := o.checkOpts(ctx, subject, tlogged)
	if err != nil {
		return fail(err)
	}
	co.ClaimVerifier = cosign.SimpleClaimVerifier
	sigs, tlog, err := cosign.VerifyImageSignatures(ctx, subject, co)
	if err != nil {
		return fail(classify(err))
	}
	out := &Verified{Subject: subject, Command: o.command("verify", "", subject)}
	for _, s := range sigs {
		out.Signatures = append(out.Signatures, signatureInfo(s, tlog))
	}
	return out, nil
}

// signatureInfo describes a verified signature: certificate identity,
// claimed identity and signed annotations.
func signatureInfo(s oci.Signature, tlog bool) Signature {
	info := certInfo(s)
	info.Tlog = tlog
	if p, err := s.Payload(); err == nil {
		var sci sigpayload.SimpleContainerImage
		if json.Unmarshal(p, &sci) == nil {
			info.ClaimedIdentity = sci.Critical.Identity.DockerReference
			for k, v := range sci.Optional {
				if info.Annotations == nil {
					info.Annotations = map[string]string{}
				}
				info.Annotations[k] = fmt.Sprint(v)
			}
		}
	}
	return info
}

// VerifyAttestation checks the attestations of predicateType (short name or
// URI, as for Attest) of subject, like Verify. The returned signatures hold
// each verified statement's predicate.
func VerifyAttestation(ctx context.Context, subject name.Digest, predicateType string, opts ...Option) (*Verified, error) {
	return VerifyAttestationFormat(ctx, subject, predicateType, AnyFormat, opts...)
}

// VerifyAttestationFormat is VerifyAttestation reading only the store f
// names.
func VerifyAttestationFormat(ctx context.Context, subject name.Digest, predicateType string, f Format, opts ...Option) (*Verified, error) {
	h, err := checkDigest(subject)
	if err != nil {
		return nil, fmt.Errorf("verifying attestation: %w", err)
	}
	o := makeOptions(ctx, opts)
	fail := func(err error) (*Verified, error) {
		return nil, fmt.Errorf("verifying %s attestation of %s: %w", predicateType, subject, err)
	}
	uri, err := PredicateTypeURI(predicateType)
	if err != nil {
		return fail(err)
	}
	t := &registryTarget{repo: subject.Context(), ro: o.remote}
	batts, err := o.bundlesFirst(ctx, t, h, uri, f, "no Sigstore bundle referrer of type "+uri+" (attest it with --format bundle)", func() bool { return o.hasLegacy(subject, h, AttestationSuffix, uri) })
	if err != nil {
		return fail(err)
	}
	if len(batts) > 0 {
		return &Verified{Subject: subject, Signatures: batts, Bundle: true, Command: o.bundleCommand("verify-attestation", predicateType, subject)}, nil
	}
	if err := o.requireSigner(); err != nil {
		return fail(err)
	}
	n, types, tlogged, err := countAttached(subject, h, AttestationSuffix, uri, o.registryOpts(subject))
	if err != nil {
		return fail(err)
	}
	if n == 0 {
		found := "none"
		if len(types) > 0 {
			found = strings.Join(types, ", ")
		}
		return fail(fmt.Errorf("%w: no attestation of type %s (found: %s)", ErrNoSignature, uri, found))
	}
	co, err := o.checkOpts(ctx, subject, tlogged)
	if err != nil {
		return fail(err)
	}
	co.ClaimVerifier = cosign.IntotoSubjectClaimVerifier
	atts, tlog, err := cosign.VerifyImageAttestations(ctx, subject, co)
	if err != nil {
		return fail(classify(err))
	}
	out := &Verified{Subject: subject, Command: o.command("verify-attestation", predicateType, subject)}
	if out.Signatures = attestationsOf(atts, tlog, uri); len(out.Signatures) == 0 {
		return fail(fmt.Errorf("%w: attestations of type %s exist but none verifies (other types do)", ErrInvalidSignature, uri))
	}
	return out, nil
}

// requireSigner checks that verification names who must have signed: a key,
// or a keyless identity and issuer.
func (o *options) requireSigner() error {
	if o.key == nil && ((o.certIdentity == "" && o.certIdentityRE == "") || (o.issuer == "" && o.issuerRE == "")) {
		return errors.New("no key and no keyless identity: pass --key, or both --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp]")
	}
	return nil
}

// registryOpts reads subject's repository, and only it.
func (o *options) registryOpts(subject name.Digest) []ociremote.Option {
	return []ociremote.Option{
		ociremote.WithRemoteOptions(o.remote...),
		// Never let COSIGN_REPOSITORY redirect the library.
		ociremote.WithTargetRepository(subject.Context()),
	}
}

// bundleCommand is the cosign command for what verified as a bundle. Key
// bundles are checked against the key alone (they carry no log entry), so
// the command says --insecure-ignore-tlog and runs as printed.
func (o *options) bundleCommand(verb, predicateType string, subject name.Digest) string {
	c := *o
	if c.key != nil {
		c.ignoreTlog = true
	}
	return c.command(verb, predicateType, subject)
}

// checkOpts translates options into cosign's, as cosign verify does.
// tlogged says whether any signature to check carries a transparency-log
// entry: a key signature made without one (stevedore's offline default,
// cosign's --tlog-upload=false) is checked against the key alone, with no
// trusted-root or Rekor lookup, so what stevedore signs by default verifies
// by default, offline. One that carries an entry has it checked.
func (o *options) checkOpts(ctx context.Context, subject name.Digest, tlogged bool) (*cosign.CheckOpts, error) {
	co := &cosign.CheckOpts{
		RegistryClientOpts:           o.registryOpts(subject),
		IgnoreTlog:                   o.ignoreTlog,
		IgnoreSCT:                    o.ignoreSCT,
		MaxWorkers:                   10,
		CertGithubWorkflowTrigger:    o.github.Trigger,
		CertGithubWorkflowSha:        o.github.SHA,
		CertGithubWorkflowName:       o.github.Name,
		CertGithubWorkflowRepository: o.github.Repository,
		CertGithubWorkflowRef:        o.github.Ref,
	}
	if len(o.annotations) > 0 {
		co.Annotations = map[string]any{}
		for k, v := range o.annotations {
			co.Annotations[k] = v
		}
	}
	keyless := o.key == nil
	if err := o.requireSigner(); err != nil {
		return nil, err
	}
	if keyless {
		co.Identities = []cosign.Identity{{
			Subject: o.certIdentity, SubjectRegExp: o.certIdentityRE,
			Issuer: o.issuer, IssuerRegExp: o.issuerRE,
		}}
	} else {
		co.SigVerifier = o.key.v
		if !tlogged {
			// Recorded in o too, so the cosign command printed for this
			// verification carries --insecure-ignore-tlog and runs as printed.
			o.ignoreTlog, co.IgnoreTlog = true, true
		}
	}
	if keyless || !co.IgnoreTlog {
		tm, err := o.trustedMaterial()
		switch {
		case err == nil:
			co.TrustedMaterial = tm
		case keyless:
			return nil, err
		default:
			// Key signatures with a tlog entry need only Rekor's keys.
			pubs, perr := cosign.GetRekorPubs(ctx)
			if perr != nil {
				return nil, fmt.Errorf("loading Rekor public keys: %w (offline? key signatures made without a transparency log verify with --insecure-ignore-tlog)", errors.Join(err, perr))
			}
			co.RekorPubKeys = pubs
		}
	}
	return co, nil
}

func (o *options) trustedMaterial() (root.TrustedMaterial, error) {
	if o.trustedRoot != "" {
		tr, err := root.NewTrustedRootFromPath(o.trustedRoot)
		if err != nil {
			return nil, fmt.Errorf("loading trusted root %s: %w", o.trustedRoot, err)
		}
		return tr, nil
	}
	tr, err := cosign.TrustedRoot()
	if err != nil {
		return nil, fmt.Errorf("fetching Sigstore trusted root through TUF: %w (offline: pass --trusted-root trusted_root.json)", err)
	}
	return tr, nil
}

// countAttached counts the layers of subject's .sig or .att image (of
// predicate type uri when set) and lists the predicate types seen, so "not
// signed" is told apart from "signed by someone else".
// tlogged reports whether any of them carries a transparency-log entry.
func countAttached(subject name.Digest, h v1.Hash, suffix, uri string, opts []ociremote.Option) (n int, types []string, tlogged bool, err error) {
	tag := subject.Context().Tag(AttachedTag(h, suffix))
	sigs, err := ociremote.Signatures(tag, opts...)
	if err != nil {
		return 0, nil, false, fmt.Errorf("reading %s: %w", tag, err)
	}
	list, err := sigs.Get()
	if err != nil {
		return 0, nil, false, fmt.Errorf("reading %s: %w", tag, err)
	}
	n, types = countTypes(list, uri)
	return n, types, anyTlogged(list), nil
}

// anyTlogged reports whether a signature in list carries a Rekor entry.
func anyTlogged(list []oci.Signature) bool {
	for _, s := range list {
		if b, err := s.Bundle(); err != nil || b != nil {
			return true // unreadable: let the full check judge it
		}
	}
	return false
}

// countTypes counts the signatures in list (the attestations of predicate
// type uri when set) and lists the other predicate types seen.
func countTypes(list []oci.Signature, uri string) (int, []string) {
	if uri == "" {
		return len(list), nil
	}
	n, seen := 0, map[string]bool{}
	for _, s := range list {
		ann, err := s.Annotations()
		if err != nil {
			continue
		}
		if pt := ann[predicateAnnotation]; pt == uri {
			n++
		} else if pt != "" {
			seen[pt] = true
		}
	}
	types := make([]string, 0, len(seen))
	for t := range seen {
		types = append(types, t)
	}
	sort.Strings(types)
	return n, types
}

// classify maps cosign's verification errors onto this package's sentinels,
// keeping cosign's text as the reason.
func classify(err error) error {
	var (
		noSigs  *cosign.ErrNoSignaturesFound
		noMatch *cosign.ErrNoMatchingSignatures
		noAtt   *cosign.ErrNoMatchingAttestations
		vf      *cosign.VerificationFailure
	)
	switch {
	case errors.As(err, &noSigs):
		return fmt.Errorf("%w: %w", ErrNoSignature, err)
	case errors.As(err, &noMatch), errors.As(err, &noAtt), errors.As(err, &vf):
		return fmt.Errorf("%w: %w", ErrInvalidSignature, err)
	}
	return err
}

type statement struct {
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

func statementOf(a oci.Signature) (*statement, error) {
	raw, err := a.Payload()
	if err != nil {
		return nil, err
	}
	var e envelope
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, err
	}
	p, err := base64.StdEncoding.DecodeString(e.Payload)
	if err != nil {
		return nil, err
	}
	var st statement
	if err := json.Unmarshal(p, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

func certInfo(s oci.Signature) Signature {
	var info Signature
	cert, err := s.Cert()
	if err != nil || cert == nil {
		return info
	}
	if sans := cryptoutils.GetSubjectAlternateNames(cert); len(sans) > 0 {
		info.Identity = sans[0]
	}
	info.Issuer = (&cosign.CertExtensions{Cert: cert}).GetIssuer()
	return info
}

// attestationsOf keeps the verified attestations whose statement has the
// predicate type uri.
func attestationsOf(atts []oci.Signature, tlog bool, uri string) []Signature {
	var out []Signature
	for _, a := range atts {
		st, err := statementOf(a)
		if err != nil || st.PredicateType != uri {
			continue
		}
		info := certInfo(a)
		info.Tlog = tlog
		info.PredicateType, info.Predicate = st.PredicateType, st.Predicate
		out = append(out, info)
	}
	return out
}
