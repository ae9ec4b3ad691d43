package main

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/urfave/cli/v2"

	"github.com/sreevishnu07/stevedore/sign"
)

func verifyCommand(getenv env) *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "verify the signatures (or attestations) of a digest, as cosign verify does",
		UsageText: "stevedore verify REF@sha256:… (--key PUB|env://VAR|KMS-URI | --certificate-identity[-regexp] ID --certificate-oidc-issuer[-regexp] ISSUER) [--attestation TYPE | --recursive] [--format auto|bundle|legacy] [--insecure-ignore-tlog] [--trusted-root FILE] [--json]",
		Description: `Checks the signatures stored next to the digest (Sigstore bundle referrers, as
cosign v3 writes them, else the sha256-<hex>.sig tag; --format bundle or
legacy accepts only one; for oci:PATH@sha256:… the same two, as the layout's
index.json lists them), or
with --attestation TYPE its attestations of that type, and prints what verified and the equivalent cosign
command. Exits 4 when the digest is unsigned or no signature verifies.
A tag is accepted and resolved: the digest it points at is what is verified
and printed. Key signatures made without the transparency log (stevedore's
default with --key) verify with --insecure-ignore-tlog, as with cosign.
With --recursive, every manifest an index references must be signed too
(cosign verify checks only the digest given; an index's platform images are
what a runtime pulls).`,
		OnUsageError: commandUsage,
		Flags: append(verifyFlags(),
			&cli.BoolFlag{Name: "json", Usage: "print what verified as JSON"},
			&cli.BoolFlag{Name: "recursive", Usage: "also require a signature on every manifest an index references"},
			verifyFormatFlag(),
		),
		Action: func(c *cli.Context) error {
			opts, err := verifyOptions(c, getenv)
			if err != nil {
				return err
			}
			s, err := resolveSubject(c, getenv, "verify", true)
			if err != nil {
				return err
			}
			typ := c.String("attestation")
			if typ != "" {
				if _, err := sign.PredicateTypeURI(typ); err != nil {
					return usageErrorf("--attestation: %v", err)
				}
			}
			if typ != "" && c.Bool("recursive") {
				return usageErrorf("--recursive checks signatures: drop --attestation, or verify each platform digest's attestations on its own")
			}
			f, err := verifyFormat(c)
			if err != nil {
				return err
			}
			opts = append(opts, sign.WithRecursive(c.Bool("recursive")))
			var got *sign.Verified
			switch {
			case s.layout() && typ == "":
				got, err = sign.VerifyLayoutFormat(c.Context, s.ref.Path(), s.digest, f, opts...)
			case s.layout():
				got, err = sign.VerifyLayoutAttestationFormat(c.Context, s.ref.Path(), s.digest, typ, f, opts...)
			case typ == "":
				got, err = sign.VerifyFormat(c.Context, s.registryDigest(), f, opts...)
			default:
				got, err = sign.VerifyAttestationFormat(c.Context, s.registryDigest(), typ, f, opts...)
			}
			if err != nil {
				if c.String("key") != "" && !c.Bool("insecure-ignore-tlog") && errors.Is(err, sign.ErrInvalidSignature) {
					return fmt.Errorf("%w (stevedore signs with --key without the transparency log unless --tlog-upload: verify such signatures with --insecure-ignore-tlog)", err)
				}
				return err
			}
			if c.Bool("json") {
				return writeVerifiedJSON(c.App.Writer, s, typ, c.String("key"), got)
			}
			printVerified(c, s, typ, got)
			return nil
		},
	}
}

func printVerified(c *cli.Context, s subject, typ string, v *sign.Verified) {
	w := c.App.Writer
	what := "signature"
	if typ != "" {
		what = typ + " attestation"
	}
	fmt.Fprintf(w, "verified %s: %d %s(s)\n", s, len(v.Signatures), what)
	for _, sig := range v.Signatures {
		var parts []string
		if sig.Identity != "" {
			parts = append(parts, "identity "+sig.Identity, "issuer "+sig.Issuer)
		} else if key := c.String("key"); key != "" {
			parts = append(parts, "key "+key)
		}
		if sig.ClaimedIdentity != "" {
			parts = append(parts, "claims "+sig.ClaimedIdentity)
		}
		if sig.PredicateType != "" {
			parts = append(parts, "type "+sig.PredicateType)
		}
		if len(sig.Annotations) > 0 {
			keys := make([]string, 0, len(sig.Annotations))
			for k := range sig.Annotations {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				parts = append(parts, k+"="+sig.Annotations[k])
			}
		}
		if sig.Tlog {
			parts = append(parts, "transparency log entry verified")
		}
		fmt.Fprintf(w, "  - %s\n", strings.Join(parts, ", "))
	}
	for _, p := range v.Platforms {
		fmt.Fprintf(w, "verified platform %s: %d signature(s)\n", s.at(platformDigest(p)), len(p.Signatures))
	}
	if s.layout() {
		fmt.Fprintf(w, "check with cosign once published (stevedore publish carries the signatures):\n  %s\n", v.Command)
	} else {
		fmt.Fprintf(w, "check with cosign:\n  %s\n", v.Command)
	}
	if v.Bundle && c.String("key") != "" && c.String("trusted-root") == "" {
		// cosign v2.6 takes the bundle and then wants a trusted root, which
		// it fetches from the public TUF repository; a key needs none of it.
		fmt.Fprintf(w, "(cosign v2.6 offline: add --trusted-root FILE, FILE holding %s)\n", emptyTrustedRoot)
	}
}

// emptyTrustedRoot is a trusted root naming no authority: all cosign v2.6
// needs to check a key-signed bundle.
const emptyTrustedRoot = `{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`

// platformDigest is the digest a platform's Verified names.
func platformDigest(v *sign.Verified) v1.Hash {
	h, _ := v1.NewHash(v.Subject.DigestStr())
	return h
}

// verifyFlags are the signer-identity flags of verify and pin --verify
// (cosign's names).
func verifyFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "key", Usage: "public key: cosign.pub `FILE`, env://VAR or a KMS URI"},
		&cli.StringFlag{Name: "certificate-identity", Usage: "keyless: the certificate's subject `ID` (email or workflow URI)"},
		&cli.StringFlag{Name: "certificate-identity-regexp", Usage: "keyless: `RE` the subject must match"},
		&cli.StringFlag{Name: "certificate-oidc-issuer", Usage: "keyless: the OIDC `ISSUER`, e.g. https://token.actions.githubusercontent.com"},
		&cli.StringFlag{Name: "certificate-oidc-issuer-regexp", Usage: "keyless: `RE` the issuer must match"},
		&cli.StringFlag{Name: "certificate-github-workflow-repository", Usage: "keyless: `OWNER/REPO` claim"},
		&cli.StringFlag{Name: "certificate-github-workflow-ref", Usage: "keyless: `REF` claim, e.g. refs/tags/v1.0.0"},
		&cli.StringFlag{Name: "certificate-github-workflow-sha", Usage: "keyless: commit `SHA` claim"},
		&cli.StringFlag{Name: "certificate-github-workflow-trigger", Usage: "keyless: `EVENT` claim, e.g. push"},
		&cli.StringFlag{Name: "certificate-github-workflow-name", Usage: "keyless: workflow `NAME` claim"},
		&cli.StringFlag{Name: "attestation", Usage: "verify attestations of `TYPE` (spdxjson, cyclonedx, slsaprovenance1, … or a URI) instead of signatures"},
		&cli.StringSliceFlag{Name: "annotation", Aliases: []string{"a"}, Usage: "require the signed annotation `key=value` (repeatable)"},
		&cli.BoolFlag{Name: "insecure-ignore-tlog", Usage: "do not require a transparency-log entry (key signatures made with tlog upload off)"},
		&cli.BoolFlag{Name: "insecure-ignore-sct", Usage: "keyless: do not require the certificate's SCT"},
		&cli.StringFlag{Name: "trusted-root", Usage: "Sigstore trusted_root.json `FILE` (private Sigstore, offline keyless verification)"},
		&cli.StringSliceFlag{Name: "insecure-registry", Usage: "allow plain HTTP to this `HOST[:PORT]` (localhost and 127.0.0.0/8 always are)"},
	}
}

// verifyOptions turns verifyFlags into sign options: a public key or a
// keyless identity, and how registries are reached.
func verifyOptions(c *cli.Context, getenv env) ([]sign.Option, error) {
	keyless := c.String("certificate-identity") != "" || c.String("certificate-identity-regexp") != ""
	if c.String("key") != "" && keyless {
		return nil, usageErrorf("--key and --certificate-identity[-regexp] exclude each other")
	}
	if c.String("key") == "" && (!keyless || c.String("certificate-oidc-issuer") == "" && c.String("certificate-oidc-issuer-regexp") == "") {
		// pin checks signatures only with --verify: name the flag that asked.
		what := "verify"
		if c.Command.Name != "verify" {
			what = "--verify"
		}
		return nil, usageErrorf("%s needs --key PUB, or --certificate-identity[-regexp] with --certificate-oidc-issuer[-regexp] for keyless signatures", what)
	}
	for _, f := range []string{"certificate-identity-regexp", "certificate-oidc-issuer-regexp"} {
		if c.IsSet(f) && sign.MatchesAnything(c.String(f)) {
			fmt.Fprintf(c.App.ErrWriter, "warning: --%s %q matches every identity: any keyless signature verifies; anchor it to your repository or issuer\n", f, c.String(f))
		}
	}
	ann, err := annotations(c)
	if err != nil {
		return nil, err
	}
	opts := []sign.Option{
		sign.WithRemoteOptions(remoteOptions(c.Context, getenv, c.StringSlice("insecure-registry"))...),
		sign.WithAnnotations(ann),
		sign.WithCertIdentity(c.String("certificate-identity")),
		sign.WithCertIdentityRegexp(c.String("certificate-identity-regexp")),
		sign.WithCertOIDCIssuer(c.String("certificate-oidc-issuer")),
		sign.WithCertOIDCIssuerRegexp(c.String("certificate-oidc-issuer-regexp")),
		sign.WithGitHubWorkflow(sign.GitHubWorkflow{
			Trigger: c.String("certificate-github-workflow-trigger"), SHA: c.String("certificate-github-workflow-sha"),
			Name: c.String("certificate-github-workflow-name"), Repository: c.String("certificate-github-workflow-repository"),
			Ref: c.String("certificate-github-workflow-ref"),
		}),
		sign.WithIgnoreTlog(c.Bool("insecure-ignore-tlog")),
		sign.WithIgnoreSCT(c.Bool("insecure-ignore-sct")),
		sign.WithTrustedRoot(c.String("trusted-root")),
	}
	if c.String("key") != "" {
		v, err := loadVerifier(c, getenv)
		if err != nil {
			return nil, err
		}
		opts = append(opts, sign.WithKey(v))
	}
	return opts, nil
}
