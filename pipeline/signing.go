package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sreevishnu07/stevedore/event"
	"github.com/sreevishnu07/stevedore/internal/atomicfile"
	"github.com/sreevishnu07/stevedore/ledger"
	"github.com/sreevishnu07/stevedore/publish"
	"github.com/sreevishnu07/stevedore/sign"
)

// signOpts are the options signing and verification share: registry access
// and the transparency log policy (on for keyless, which needs it; off for
// keys, so a release needs no public service).
func (r *releaser) signOpts(ctx context.Context, s Signing) []sign.Option {
	opts := []sign.Option{sign.WithRemoteOptions(publish.RemoteOptions(ctx, r.o.publish...)...)}
	if s.Keyless {
		if s.RekorURL != "" {
			opts = append(opts, sign.WithRekorURL(s.RekorURL))
		}
		return append(opts, sign.WithTlogUpload(true))
	}
	return append(opts, sign.WithTlogUpload(false))
}

// destOpts are opts with d's registry reached through the push step's
// batch: signing, attesting and verifying reuse the transports the push
// authenticated (one ping and token per repository for the whole release,
// not one per request).
func (r *releaser) destOpts(ctx context.Context, d publish.Reference, opts []sign.Option) ([]sign.Option, error) {
	if d.IsLayout() {
		return opts, nil
	}
	ro, err := r.publishBatch().RemoteOptions(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("reaching %s: %w", d, err)
	}
	return append(slices.Clip(opts), sign.WithRemoteOptions(ro...)), nil
}

func (r *releaser) signingOff(ir *imageRun) bool {
	return ir.p.sign.Disabled || !r.canSign()
}

func (r *releaser) canSign() bool { return r.o.signer != nil || r.o.signingEnv != nil }

// sign signs every destination's digest (and each platform's, for an
// index), then attests each platform's SBOMs and the build provenance.
func (r *releaser) sign(ctx context.Context, ir *imageRun) (string, error) {
	if r.signingOff(ir) {
		return "skipped: signing is off", nil
	}
	signer, err := r.signerFor(ctx, ir)
	if err != nil {
		return "", err
	}
	ir.signer = signer
	prov, err := r.provenance(ctx, ir)
	if err != nil {
		return "", err
	}
	legacy, bundle, err := ir.p.sign.formats()
	if err != nil {
		return "", err
	}
	base := append(r.signOpts(ctx, ir.p.sign), sign.WithRecursive(ir.art.IsIndex()))
	signed := 0
	for i, d := range ir.dsts {
		opts, err := r.destOpts(ctx, d, base)
		if err != nil {
			return "", err
		}
		// Layouts take both formats as registries do; publish carries them
		// along.
		var res *sign.Result
		switch {
		case legacy && d.IsLayout():
			res, err = sign.SignLayout(ctx, d.Path(), ir.art.Digest(), signer, opts...)
		case legacy:
			res, err = sign.Sign(ctx, d.Repository().Digest(ir.art.Digest().String()), signer, opts...)
		}
		if err != nil {
			return "", err
		}
		if res != nil {
			signed += len(res.Signed)
		}
		if bundle {
			// Recursive for an index, like the legacy signature: each
			// platform manifest gets its own bundle.
			var res *sign.Result
			if d.IsLayout() {
				res, err = sign.SignLayoutBundles(ctx, d.Path(), ir.art.Digest(), signer, opts...)
			} else {
				res, err = sign.SignBundles(ctx, d.Repository().Digest(ir.art.Digest().String()), signer, opts...)
			}
			if err != nil {
				return "", err
			}
			signed += len(res.Signed)
		}
		attest := func(h v1.Hash, predType string, pred []byte) error {
			var err error
			switch {
			case legacy && d.IsLayout():
				_, err = sign.AttestLayout(ctx, d.Path(), h, signer, predType, pred, opts...)
			case legacy:
				_, err = sign.Attest(ctx, d.Repository().Digest(h.String()), signer, predType, pred, opts...)
			}
			switch {
			case err != nil || !bundle:
			case d.IsLayout():
				_, err = sign.AttestLayoutBundle(ctx, d.Path(), h, signer, predType, pred, opts...)
			default:
				err = sign.AttestBundle(ctx, d.Repository().Digest(h.String()), signer, predType, pred, opts...)
			}
			if err == nil {
				r.o.progress.Emit(event.Attested{Image: ir.p.Name, Ref: digestRef(d, h), PredicateType: predType})
			}
			return err
		}
		for digest, docs := range ir.sbomData {
			h, err := v1.NewHash(digest)
			if err != nil {
				return "", err
			}
			for _, doc := range docs {
				if err := attest(h, doc.format.PredicateType(), doc.data); err != nil {
					return "", fmt.Errorf("attesting the %s SBOM of %s: %w", doc.format, h, err)
				}
			}
		}
		if err := attest(ir.art.Digest(), sign.PredicateSLSA1, prov); err != nil {
			return "", fmt.Errorf("attesting provenance: %w", err)
		}
		ld := &ir.ledger.Destinations[i]
		ld.Format = FormatLegacy
		if bundle {
			ld.Format = FormatBundle
			if legacy {
				ld.Format = FormatBoth
			}
		}
		r.o.progress.Emit(event.Signed{Image: ir.p.Name, Ref: digestRef(d, ir.art.Digest()), Format: ld.Format})
		if legacy {
			ld.Signature = sigTag(d, ir.art.Digest(), ".sig")
			ld.Attestations = []string{sigTag(d, ir.art.Digest(), ".att")}
		}
	}
	return fmt.Sprintf("%d new signatures", signed), nil
}

// sigTag is where cosign keeps signatures (.sig) or attestations (.att).
func sigTag(d publish.Reference, h v1.Hash, suffix string) string {
	tag := h.Algorithm + "-" + h.Hex + suffix
	if d.IsLayout() {
		return publish.LayoutPrefix + d.Path() + ":" + tag
	}
	return d.Repository().Tag(tag).String()
}

func (r *releaser) provenance(ctx context.Context, ir *imageRun) ([]byte, error) {
	remote, ref := gitSource(ctx, r.path("."))
	in := sign.ProvenanceInput{
		BuilderID:      firstNonEmpty(r.o.builderID, "https://github.com/sreevishnu07/stevedore"),
		BuilderVersion: r.o.builderVer,
		SourceRepo:     firstNonEmpty(r.o.sourceRepo, r.o.ciRun.GitLabProjectURL, remote),
		Commit:         r.plan_.Commit,
		Ref:            firstNonEmpty(r.o.event.Ref, ref),
		Dockerfile:     ir.p.Dockerfile,
		Target:         ir.p.Target,
		Platforms:      builtPlatforms(ir),
		BuildArgs:      ir.p.img.BuildArgs,
		InvocationID:   r.o.ciRun.InvocationID(),
		Dirty:          r.plan_.Dirty,
	}
	if data, err := os.ReadFile(r.path(ir.p.Dockerfile)); err == nil {
		h, _, _ := v1.SHA256(strings.NewReader(string(data)))
		in.DockerfileDigest = h
	}
	for _, b := range ir.res.Bases {
		if d, err := baseDigest(b.Ref, b.Digest); err == nil && !slices.Contains(in.BaseImages, d) {
			in.BaseImages = append(in.BaseImages, d)
			in.BasePlatforms = addBasePlatform(in.BasePlatforms, b)
		}
	}
	return sign.Provenance(in)
}

// verify checks what was signed the way a consumer would: every
// destination's signature and the SBOM attestations, against the signer's
// key or the configured keyless identity.
func (r *releaser) verify(ctx context.Context, ir *imageRun) (string, error) {
	if r.signingOff(ir) {
		return "skipped: signing is off", nil
	}
	sg := ir.p.sign
	if sg.Keyless {
		var err error
		if sg, err = keylessIdentity(sg, ir.signer); err != nil {
			return "", err
		}
		sg.TrustedRoot = r.path(sg.TrustedRoot)
	}
	vopts, keyRef, err := r.verifyOpts(ir, sg)
	if err != nil {
		return "", err
	}
	opts := append(r.signOpts(ctx, ir.p.sign), vopts...)
	legacy, bundle, err := ir.p.sign.formats()
	if err != nil {
		return "", err
	}
	var keyRoot string
	if bundle && !sg.Keyless {
		// Bundle commands only: a legacy signature with a log entry is
		// checked against the trusted root, which this one is not.
		if keyRoot, err = r.keyTrustedRoot(); err != nil {
			return "", err
		}
		opts = append(opts, sign.WithTrustedRoot(keyRoot))
	}
	rec := ledger.Signer{Key: keyRef, Format: FormatLegacy, TrustedRoot: sg.TrustedRoot}
	if bundle {
		rec.Format = FormatBundle
		if legacy {
			rec.Format = FormatBoth
		}
	}
	if sg.Keyless {
		rec.Key = ""
		rec.Identity, rec.IdentityRegexp, rec.Issuer, rec.IssuerRegexp = sg.Identity, sg.IdentityRegexp, sg.Issuer, sg.IssuerRegexp
	} else {
		rec.TrustedRoot = keyRoot
	}
	// Every SBOM attestation is checked; the commands cover the image's own
	// (or, with one platform's alone, that one's) and the provenance.
	check := VerifyCheck{Digest: ir.art.Digest(), Index: ir.art.IsIndex(), Signer: rec}
	digests := make([]string, 0, len(ir.sbomData))
	for digest := range ir.sbomData {
		digests = append(digests, digest)
	}
	slices.Sort(digests)
	for _, digest := range digests {
		for _, doc := range ir.sbomData[digest] {
			check.Attestations = append(check.Attestations, AttestationCheck{
				Attestation: ledger.Attestation{PredicateType: doc.format.PredicateType(), Digest: digest},
				What:        fmt.Sprintf("the %s SBOM attestation", doc.format),
				Command:     digest == ir.art.Digest().String() || len(ir.sbomData) == 1,
			})
		}
	}
	provenanceURI, err := sign.PredicateTypeURI(sign.PredicateSLSA1)
	if err != nil {
		return "", err
	}
	check.Attestations = append(check.Attestations, AttestationCheck{
		Attestation: ledger.Attestation{PredicateType: provenanceURI, Digest: ir.art.Digest().String()},
		What:        "the provenance attestation",
		Command:     true,
	})
	for _, a := range check.Attestations {
		if a.Command {
			rec.Attestations = append(rec.Attestations, a.Attestation)
		}
	}
	check.Signer = rec
	var cmds []string
	for _, d := range ir.dsts {
		dopts, err := r.destOpts(ctx, d, opts)
		if err != nil {
			return "", err
		}
		c, err := VerifyDestination(ctx, d, check, dopts...)
		if err != nil {
			return "", err
		}
		cmds = append(cmds, c...)
	}
	ir.ledger.Signer = &rec
	ir.ledger.Verify = cmds
	return fmt.Sprintf("%d destinations", len(ir.dsts)), nil
}

// writtenFormats lists the formats signing wrote, bundles first.
func writtenFormats(legacy, bundle bool) []sign.Format {
	var out []sign.Format
	if bundle {
		out = append(out, sign.BundleFormat)
	}
	if legacy {
		out = append(out, sign.LegacyFormat)
	}
	return out
}

// verifyOpts checks against the signer's public key (or the keyless
// identity). A key the commands cannot name by a public file (env://, a key
// without its cosign.pub beside it) gets its public half written next to
// the ledger, so the verify commands recorded there run as printed.
// keyRef is how the commands name the public key ("" for keyless).
func (r *releaser) verifyOpts(ir *imageRun, s Signing) (opts []sign.Option, keyRef string, err error) {
	if !s.Keyless {
		v := ir.signer.Verifier()
		if v.Ref() == "" {
			pem, err := ir.signer.PublicKeyPEM()
			if err != nil {
				return nil, "", err
			}
			path := filepath.Join(r.path(r.plan_.outputDir()), ir.p.Name+".pub")
			if err := atomicfile.WriteFile(path, pem, 0o644); err != nil {
				return nil, "", fmt.Errorf("writing the public key for the verify commands: %w", err)
			}
			if v, err = sign.LoadVerifierFile(path); err != nil {
				return nil, "", err
			}
		}
		return []sign.Option{sign.WithKey(v)}, v.Ref(), nil
	}
	if s.Identity != "" {
		opts = append(opts, sign.WithCertIdentity(s.Identity))
	}
	if s.IdentityRegexp != "" {
		opts = append(opts, sign.WithCertIdentityRegexp(s.IdentityRegexp))
	}
	if s.Issuer != "" {
		opts = append(opts, sign.WithCertOIDCIssuer(s.Issuer))
	}
	if s.IssuerRegexp != "" {
		opts = append(opts, sign.WithCertOIDCIssuerRegexp(s.IssuerRegexp))
	}
	trust, err := r.trustOpts(s)
	return append(opts, trust...), "", err
}

// keyTrustedRootFile is the trusted root, with no authorities, written next
// to the ledger for key-signed bundles.
const keyTrustedRootFile = "cosign-key-trusted-root.json"

// keyTrustedRoot writes a trusted root naming no authority next to the
// ledger and returns its path. cosign v2 reads bundle referrers first and
// then insists on a trusted root, fetched from the public TUF repository
// unless --trusted-root names one; a key-signed bundle needs none of its
// contents, so the ledger's commands pass this file and run offline, with
// cosign v2 and v3 alike.
func (r *releaser) keyTrustedRoot() (string, error) {
	path := filepath.Join(r.path(r.plan_.outputDir()), keyTrustedRootFile)
	const empty = `{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}` + "\n"
	if err := atomicfile.WriteFile(path, []byte(empty), 0o644); err != nil {
		return "", fmt.Errorf("writing the trusted root for the verify commands: %w", err)
	}
	return path, nil
}

// tag moves the planned tags at every destination: the last step that
// changes anything a consumer sees.
func (r *releaser) tag(ctx context.Context, ir *imageRun) (string, error) {
	if len(ir.p.Tags) == 0 {
		return "no tags", nil
	}
	// Through the push step's batch: it knows the content is there and
	// holds the repositories' authenticated transports.
	res, err := r.publishBatch().Tag(ctx, ir.art, ir.dsts, ir.p.Tags)
	if err != nil {
		return "", err
	}
	for i, d := range res.Destinations {
		ir.ledger.Destinations[i].Tags = d.Tags
		repo, _, _ := strings.Cut(d.Ref, "@")
		for _, t := range d.Tags {
			r.o.progress.Emit(event.TagMoved{Image: ir.p.Name, Ref: repo + ":" + t, Digest: d.Digest})
		}
	}
	return strings.Join(ir.p.Tags, " "), nil
}

// digestRef names what a destination holds by digest, for events.
func digestRef(d publish.Reference, h v1.Hash) string {
	if d.IsLayout() {
		return publish.LayoutPrefix + d.Path() + "@" + h.String()
	}
	return d.Repository().Digest(h.String()).String()
}

// baseDigest names a base image by digest in its own repository.
func baseDigest(ref string, d v1.Hash) (name.Digest, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return name.Digest{}, err
	}
	return r.Context().Digest(d.String()), nil
}
