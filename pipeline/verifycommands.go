package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/sreevishnu07/stevedore/internal/shell"
	"github.com/sreevishnu07/stevedore/ledger"
	"github.com/sreevishnu07/stevedore/publish"
	"github.com/sreevishnu07/stevedore/sign"
)

// VerifyCheck is what VerifyDestination checks at one destination.
type VerifyCheck struct {
	// Digest is the image's, or the index's: then every platform
	// manifest's signature is checked too (Index).
	Digest v1.Hash
	Index  bool
	// Signer names who signed, for the commands, and Signer.Format which
	// stores to check: each format written is checked on its own.
	Signer ledger.Signer
	// Attestations are checked in order; those with Command get one.
	Attestations []AttestationCheck
}

// AttestationCheck is one attestation VerifyDestination checks.
type AttestationCheck struct {
	ledger.Attestation
	// What names it in errors ("the spdx-json SBOM attestation").
	What string
	// Command records a verify command for it.
	Command bool
}

// VerifyDestination checks what c lists at d the way a consumer would and
// returns the commands that check it again, as printed: cosign verify and
// verify-attestation for a registry, stevedore verify for a layout (cosign
// cannot read signatures in a layout). opts name the signer (SignerOptions
// builds them from a ledger record) and reach d's registry. Release and
// publish both write the ledger's Verify commands through it, so the
// commands for a destination a release signed and one a publish copied the
// signatures to read alike.
func VerifyDestination(ctx context.Context, d publish.Reference, c VerifyCheck, opts ...sign.Option) ([]string, error) {
	formats, err := signerFormats(c.Signer.Format)
	if err != nil {
		return nil, err
	}
	sigOpts := append(slices.Clip(opts), sign.WithRecursive(c.Index))
	if d.IsLayout() {
		for _, f := range formats {
			if _, err := sign.VerifyLayoutFormat(ctx, d.Path(), c.Digest, f, sigOpts...); err != nil {
				return nil, err
			}
		}
		for _, a := range c.Attestations {
			h, err := v1.NewHash(a.Digest)
			if err != nil {
				return nil, fmt.Errorf("verifying %s: %w", a.What, err)
			}
			if _, err := sign.VerifyLayoutAttestation(ctx, d.Path(), h, a.PredicateType, opts...); err != nil {
				return nil, fmt.Errorf("verifying %s of %s: %w", a.What, a.Digest, err)
			}
		}
		return []string{layoutVerifyCommand(d, c.Digest, c.Signer)}, nil
	}
	subject := d.Repository().Digest(c.Digest.String())
	// Each format written is checked on its own: verifying "any" would pass
	// on the bundles alone with the legacy tags gone.
	var sigCmd string
	for _, f := range formats {
		v, err := sign.VerifyFormat(ctx, subject, f, sigOpts...)
		if err != nil {
			return nil, err
		}
		if sigCmd == "" {
			sigCmd = v.Command
		}
	}
	cmds := []string{sigCmd}
	for _, a := range c.Attestations {
		v, err := sign.VerifyAttestation(ctx, d.Repository().Digest(a.Digest), a.PredicateType, opts...)
		if err != nil {
			return nil, fmt.Errorf("verifying %s of %s: %w", a.What, a.Digest, err)
		}
		if a.Command {
			cmds = append(cmds, v.Command)
		}
	}
	return cmds, nil
}

// SignerOptions are the sign options that check what s signed: its public
// key (a file, or a KMS key the process can reach), or its keyless identity and issuer, with its trusted root (and no
// SCT check when that root lists no CT log, as a private Sigstore's).
func SignerOptions(ctx context.Context, s ledger.Signer) ([]sign.Option, error) {
	var opts []sign.Option
	if s.Key != "" {
		load := func() (*sign.Verifier, error) { return sign.LoadVerifierFile(s.Key) }
		if sign.IsKMSURI(s.Key) {
			load = func() (*sign.Verifier, error) { return sign.LoadKMSVerifier(ctx, s.Key) }
		}
		v, err := load()
		if err != nil {
			return nil, fmt.Errorf("loading the public key the ledger records: %w", err)
		}
		opts = append(opts, sign.WithKey(v))
	}
	for _, o := range []struct {
		val string
		opt func(string) sign.Option
	}{
		{s.Identity, sign.WithCertIdentity},
		{s.IdentityRegexp, sign.WithCertIdentityRegexp},
		{s.Issuer, sign.WithCertOIDCIssuer},
		{s.IssuerRegexp, sign.WithCertOIDCIssuerRegexp},
	} {
		if o.val != "" {
			opts = append(opts, o.opt(o.val))
		}
	}
	if s.TrustedRoot != "" {
		opts = append(opts, sign.WithTrustedRoot(s.TrustedRoot))
		if s.Key == "" {
			n, err := sign.TrustedRootCTLogs(s.TrustedRoot)
			if err != nil {
				return nil, err
			}
			if n == 0 {
				opts = append(opts, sign.WithIgnoreSCT(true))
			}
		}
	}
	return opts, nil
}

// ErrNoSigner means the ledger records no signer for an image: it was not
// signed, or the ledger was written before stevedore recorded signers.
var ErrNoSigner = errors.New("the ledger records no signer for the image")

// ErrSignerUnavailable means the recorded signer's public key (a file or a
// KMS key) cannot be read where publish runs: the signatures were copied,
// but nothing checked them there, so no commands are recorded.
var ErrSignerUnavailable = errors.New("the recorded signer's public key cannot be read here")

// RecordPublishedVerify adds to l's image with digest the verify commands
// for dsts, the destinations publish copied its signatures and
// attestations to, after checking them there (VerifyDestination) against
// the signer the ledger records. It returns the commands added (none twice),
// or ErrNoSigner, adding nothing, when l records no signer for the image.
// opts reach the registries.
func RecordPublishedVerify(ctx context.Context, l *ledger.Ledger, digest v1.Hash, dsts []publish.Reference, opts ...sign.Option) ([]string, error) {
	i := slices.IndexFunc(l.Images, func(img ledger.Image) bool { return img.Digest == digest.String() })
	if i < 0 || l.Images[i].Signer == nil {
		return nil, ErrNoSigner
	}
	img := &l.Images[i]
	so, err := SignerOptions(ctx, *img.Signer)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSignerUnavailable, err)
	}
	c := VerifyCheck{Digest: digest, Index: types.MediaType(img.MediaType).IsIndex(), Signer: *img.Signer}
	for _, a := range img.Signer.Attestations {
		c.Attestations = append(c.Attestations, AttestationCheck{Attestation: a, What: "the " + a.PredicateType + " attestation", Command: true})
	}
	var added []string
	for _, d := range dsts {
		cmds, err := VerifyDestination(ctx, d, c, append(slices.Clip(so), opts...)...)
		if err != nil {
			return added, fmt.Errorf("verifying the signatures copied to %s: %w", d, err)
		}
		for _, cmd := range cmds {
			if !slices.Contains(img.Verify, cmd) {
				img.Verify = append(img.Verify, cmd)
				added = append(added, cmd)
			}
		}
	}
	return added, nil
}

// signerFormats lists the formats a ledger signer's Format says signing
// wrote, bundles first.
func signerFormats(f string) ([]sign.Format, error) {
	switch f {
	case FormatLegacy, FormatBundle, FormatBoth:
	default:
		return nil, fmt.Errorf("%w: the signer's format %q: want legacy, bundle or both (release again to write it)", ledger.ErrSchema, f)
	}
	return writtenFormats(f != FormatBundle, f != FormatLegacy), nil
}

// layoutVerifyCommand is the command that checks a layout destination.
func layoutVerifyCommand(d publish.Reference, digest v1.Hash, s ledger.Signer) string {
	cmd := "stevedore verify " + publish.LayoutPrefix + d.Path() + "@" + digest.String()
	if s.Key != "" {
		return cmd + " --key " + shell.Quote(s.Key)
	}
	flag := func(name, exact, re string) string {
		if exact != "" {
			return " --" + name + " " + shell.Quote(exact)
		}
		return " --" + name + "-regexp " + shell.Quote(re)
	}
	cmd += flag("certificate-identity", s.Identity, s.IdentityRegexp) + flag("certificate-oidc-issuer", s.Issuer, s.IssuerRegexp)
	if s.TrustedRoot != "" {
		cmd += " --trusted-root " + shell.Quote(s.TrustedRoot)
		if n, err := sign.TrustedRootCTLogs(s.TrustedRoot); err == nil && n == 0 {
			cmd += " --insecure-ignore-sct"
		}
	}
	return cmd
}
