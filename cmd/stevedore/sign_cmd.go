package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/urfave/cli/v2"

	"github.com/sreevishnu07/stevedore/publish"
	"github.com/sreevishnu07/stevedore/sbom"
	"github.com/sreevishnu07/stevedore/sign"
)

// subject is the digest sign, attest and verify act on: in a registry
// repository or in an OCI layout.
type subject struct {
	ref    publish.Reference
	digest v1.Hash
}

func (s subject) layout() bool { return s.ref.IsLayout() }

// at names digest h next to the subject: oci:PATH@h or REPOSITORY@h.
func (s subject) at(h v1.Hash) string {
	if s.layout() {
		return publish.LayoutPrefix + s.ref.Path() + "@" + h.String()
	}
	return displayRepo(s.ref.Repository()) + "@" + h.String()
}

func (s subject) String() string { return s.at(s.digest) }

// registryDigest is the subject in its registry (registry subjects only).
func (s subject) registryDigest() name.Digest {
	return s.ref.Repository().Digest(s.digest.String())
}

func displayRepo(r name.Repository) string {
	if rest, ok := strings.CutPrefix(r.Name(), name.DefaultRegistry+"/"); ok {
		return "docker.io/" + rest
	}
	return r.Name()
}

// resolveSubject parses REF. Signatures bind to digests: a reference
// without one is refused, showing the digest form it points at now, unless
// resolve is set (then the tag's current digest is used and printed).
func resolveSubject(c *cli.Context, getenv env, verb string, resolve bool) (subject, error) {
	if c.NArg() != 1 {
		return subject{}, usageErrorf("%s takes one reference, REF@sha256:… or oci:PATH@sha256:… (got %d arguments)", verb, c.NArg())
	}
	arg := c.Args().First()
	insecure := c.StringSlice("insecure-registry")
	ref, err := parseRef(arg, insecure)
	if err != nil {
		return subject{}, err
	}
	if h, ok := ref.Digest(); ok {
		return subject{ref: ref, digest: h}, nil
	}
	s := subject{ref: ref}
	art, lerr := publish.Load(c.Context, ref, publishOptions(getenv, insecure)...)
	if lerr == nil {
		s.digest = art.Digest()
	}
	if resolve {
		if lerr != nil {
			return subject{}, fmt.Errorf("resolving %s: %w", arg, lerr)
		}
		fmt.Fprintf(c.App.ErrWriter, "resolved %s to %s\n", arg, s)
		return s, nil
	}
	var form string
	if lerr == nil {
		form = s.String()
	} else if ref.IsLayout() {
		form = publish.LayoutPrefix + ref.Path() + "@sha256:<digest>"
	} else {
		form = displayRepo(ref.Repository()) + "@sha256:<digest>"
	}
	msg := fmt.Sprintf("%s %s: %s binds to a digest, not a tag that can move; run\n  stevedore %s %s", verb, arg, verb, verb, form)
	if lerr == nil {
		msg += fmt.Sprintf("\n(the digest %s names now), or pass --resolve to use that digest", arg)
	} else {
		msg += fmt.Sprintf("\n(could not resolve %s: %v)", arg, lerr)
	}
	return subject{}, usageErrorf("%s", msg)
}

func signCommand(getenv env) *cli.Command {
	return &cli.Command{
		Name:      "sign",
		Usage:     "sign an image or index by digest, in a registry or an OCI layout (cosign-compatible)",
		UsageText: "stevedore sign REF@sha256:… [--key FILE|env://VAR|KMS-URI | --keyless [--signing-config FILE]] [-a key=value]… [--recursive] [--resolve]",
		Description: `Stores the signature where cosign v2 looks for it (the sha256-<hex>.sig tag),
or with --format bundle|both as a Sigstore bundle referrer, as cosign v3 does;
for oci:PATH@sha256:… either is listed in the layout and stevedore publish
carries it to registries. A tag is refused unless --resolve: a signature binds to the
digest. Signing again with the same key adds nothing.`,
		OnUsageError: commandUsage,
		Flags: append(signerFlags(),
			&cli.StringSliceFlag{Name: "annotation", Aliases: []string{"a"}, Usage: "signed annotation `key=value` (repeatable)"},
			&cli.BoolFlag{Name: "recursive", Usage: "also sign every manifest an index references"},
			&cli.BoolFlag{Name: "resolve", Usage: "accept a tag and sign the digest it points at now"},
			&cli.StringFlag{Name: "sign-container-identity", Usage: "docker-reference the signature claims (`REPO`; default the subject's repository, for layouts " + sign.LayoutIdentity + ")"},
			formatFlag(),
		),
		Action: func(c *cli.Context) error {
			s, err := resolveSubject(c, getenv, "sign", c.Bool("resolve"))
			if err != nil {
				return err
			}
			ann, err := annotations(c)
			if err != nil {
				return err
			}
			signer, err := loadSigner(c, getenv)
			if err != nil {
				return err
			}
			opts := append(signOptions(c, getenv), sign.WithAnnotations(ann), sign.WithRecursive(c.Bool("recursive")))
			if id := c.String("sign-container-identity"); id != "" {
				opts = append(opts, sign.WithClaimedIdentity(id))
			}
			legacy, bundle, err := signFormats(c)
			if err != nil {
				return err
			}
			var res *sign.Result
			switch {
			case legacy && s.layout():
				res, err = sign.SignLayout(c.Context, s.ref.Path(), s.digest, signer, opts...)
			case legacy:
				res, err = sign.Sign(c.Context, s.registryDigest(), signer, opts...)
			}
			printResult(c, s, res, "signed", "already signed by this key", "")
			if err == nil && bundle {
				// One line per digest, as for the legacy format: with
				// --recursive every platform manifest gets its bundle.
				if s.layout() {
					res, err = sign.SignLayoutBundles(c.Context, s.ref.Path(), s.digest, signer, opts...)
				} else {
					res, err = sign.SignBundles(c.Context, s.registryDigest(), signer, opts...)
				}
				printResult(c, s, res, "signed", "already signed by this key", "bundle")
			}
			return err
		},
	}
}

// printResult prints a line per digest signed or skipped; store names the
// format when it is not the legacy one ("bundle").
func printResult(c *cli.Context, s subject, res *sign.Result, did, skipped, store string) {
	if res == nil {
		return
	}
	suffix := ""
	if store != "" {
		suffix, skipped = " ("+store+")", store+": "+skipped
	}
	for _, h := range res.Signed {
		fmt.Fprintf(c.App.Writer, "%s %s%s\n", did, s.at(h), suffix)
	}
	for _, h := range res.Skipped {
		fmt.Fprintf(c.App.Writer, "skipped %s (%s)\n", s.at(h), skipped)
	}
}

func attestCommand(getenv env) *cli.Command {
	return &cli.Command{
		Name:      "attest",
		Usage:     "attach a signed in-toto attestation (SBOM, SLSA provenance, …) to a digest",
		UsageText: "stevedore attest REF@sha256:… (--predicate FILE --type TYPE | --sbom [--sbom-format F]) [key flags as sign]",
		Description: `TYPE is spdxjson, cyclonedx, slsaprovenance1, slsaprovenance, openvex, custom
or a predicate type URI. --sbom catalogs the image in-process and attests the
SBOM; for an index, each platform image gets its own SBOM attestation (an SBOM
describes one file system).`,
		OnUsageError: commandUsage,
		Flags: append(signerFlags(),
			&cli.StringFlag{Name: "predicate", Usage: "predicate `FILE` (JSON)"},
			&cli.StringFlag{Name: "type", Value: sign.PredicateCustom, Usage: "predicate `TYPE`: a short name or a URI"},
			&cli.BoolFlag{Name: "sbom", Usage: "generate the SBOM and attest it"},
			&cli.StringFlag{Name: "sbom-format", Value: "spdx-json", Usage: "SBOM `FORMAT` for --sbom: spdx-json, cyclonedx-json or syft-json"},
			&cli.BoolFlag{Name: "recursive", Usage: "also attest every manifest an index references (--predicate only)"},
			&cli.BoolFlag{Name: "resolve", Usage: "accept a tag and attest the digest it points at now"},
			&cli.StringFlag{Name: "sign-container-identity", Usage: "repository `REPO` the statement names for a layout image (default " + sign.LayoutIdentity + ")"},
			formatFlag(),
		),
		Action: func(c *cli.Context) error {
			if c.Bool("sbom") == (c.String("predicate") != "") {
				return usageErrorf("attest needs exactly one of --predicate FILE or --sbom")
			}
			s, err := resolveSubject(c, getenv, "attest", c.Bool("resolve"))
			if err != nil {
				return err
			}
			signer, err := loadSigner(c, getenv)
			if err != nil {
				return err
			}
			opts := signOptions(c, getenv)
			if id := c.String("sign-container-identity"); id != "" {
				opts = append(opts, sign.WithClaimedIdentity(id))
			}
			legacy, bundle, err := signFormats(c)
			if err != nil {
				return err
			}
			attest := func(h v1.Hash, typ string, predicate []byte, opts ...sign.Option) error {
				var res *sign.Result
				var err error
				switch {
				case legacy && s.layout():
					res, err = sign.AttestLayout(c.Context, s.ref.Path(), h, signer, typ, predicate, opts...)
				case legacy:
					res, err = sign.Attest(c.Context, s.ref.Repository().Digest(h.String()), signer, typ, predicate, opts...)
				}
				printResult(c, s, res, "attested ("+typ+")", "already attested by this key", "")
				switch {
				case err != nil || !bundle:
				case s.layout():
					res, err = sign.AttestLayoutBundle(c.Context, s.ref.Path(), h, signer, typ, predicate, opts...)
					printResult(c, s, res, "attested ("+typ+")", "already attested by this key", "bundle")
				default:
					if err = sign.AttestBundle(c.Context, s.ref.Repository().Digest(h.String()), signer, typ, predicate, opts...); err == nil {
						fmt.Fprintf(c.App.Writer, "attested (%s) %s (bundle)\n", typ, s.at(h))
					}
				}
				return err
			}
			if !c.Bool("sbom") {
				if _, err := sign.PredicateTypeURI(c.String("type")); err != nil {
					return usageErrorf("--type: %v", err)
				}
				predicate, err := os.ReadFile(c.String("predicate"))
				if err != nil {
					return fmt.Errorf("reading predicate: %w", err)
				}
				return attest(s.digest, c.String("type"), predicate, append(opts, sign.WithRecursive(c.Bool("recursive")))...)
			}
			format, err := sbom.ParseFormat(c.String("sbom-format"))
			if err != nil {
				return usageErrorf("--sbom-format: %v", err)
			}
			if c.Bool("recursive") {
				return usageErrorf("--recursive applies to --predicate: with --sbom each platform image of an index gets its own SBOM")
			}
			docs, err := generateSBOMs(c, getenv, s.ref, s.digest)
			if err != nil {
				return err
			}
			for _, d := range docs {
				var buf strings.Builder
				if err := d.sbom.Encode(&buf, format); err != nil {
					return err
				}
				if err := attest(d.sbom.Digest, predicateName(format), []byte(buf.String()), opts...); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// predicateName is the attestation type for an SBOM format (cosign's short
// names where there is one).
func predicateName(f sbom.Format) string {
	switch f {
	case sbom.SPDXJSON:
		return sign.PredicateSPDXJSON
	case sbom.CycloneDXJSON:
		return sign.PredicateCycloneDX
	}
	return f.PredicateType()
}

// carrySignatures copies the signatures and attestations a source layout
// holds for the published digest to every destination, after the publish
// succeeded, so a release signed offline verifies where it was published.
// It returns the destinations copied to (all but the source layout itself),
// those already holding them included.
func carrySignatures(c *cli.Context, getenv env, src publish.Reference, dsts []publish.Reference, res *publish.Result) ([]publish.Reference, error) {
	if !src.IsLayout() || res == nil || len(res.Destinations) == 0 {
		return nil, nil
	}
	h, err := v1.NewHash(res.Destinations[0].Digest)
	if err != nil {
		return nil, err
	}
	ro := remoteOptions(c.Context, getenv, c.StringSlice("insecure-registry"))
	var carried []publish.Reference
	for _, d := range dsts {
		var tags []string
		switch {
		case d.IsLayout() && d.Path() == src.Path():
			continue
		case d.IsLayout():
			if tags, err = sign.CopyLayoutSignatures(c.Context, src.Path(), h, d.Path()); err != nil {
				return nil, err
			}
		default:
			if tags, err = sign.CopySignatures(c.Context, src.Path(), h, d.Repository(), sign.WithRemoteOptions(ro...)); err != nil {
				return nil, err
			}
		}
		where := d.String()
		if !d.IsLayout() {
			where = displayRepo(d.Repository())
		}
		for _, t := range tags {
			fmt.Fprintf(c.App.ErrWriter, "carried %s to %s\n", t, where)
		}
		carried = append(carried, d)
	}
	return carried, nil
}
