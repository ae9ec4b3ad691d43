package main

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/urfave/cli/v2"

	"github.com/sreevishnu07/stevedore/actions"
	"github.com/sreevishnu07/stevedore/builder/platform"
	"github.com/sreevishnu07/stevedore/pin"
	"github.com/sreevishnu07/stevedore/sign"
)

func pinCommand(getenv env) *cli.Command {
	return &cli.Command{
		Name:      "pin",
		Usage:     "pin deploy files to digests, check that they are pinned and signed, or print an admission policy",
		UsageText: "stevedore pin (--check | --write | --update | --policy kyverno|sigstore) [options] PATH...",
		Description: `Finds image references in Kubernetes manifests, Kustomize and Helm values
files, Compose files, Dockerfiles and GitHub Actions workflows (directories are
walked). --write rewrites each tag to repo:tag@sha256:… (only the reference
changes; every other byte stays); --from dist/release.json takes the digests
from a release ledger instead of the registry, and also moves references
pinned to an earlier release (a tag the release moved, or an older version
tag of a released repository) to the new one. --check (the default) changes
nothing and fails on unpinned references; --strict also on tag@digest pairs
whose tag moved; --verify also on digests not signed by the expected signer
(for an index: the index and every platform manifest it references; a
Sigstore bundle referrer or the legacy .sig tag, see --format).
--update (alone or with --write) moves pinned references whose tag moved,
only to digests that verify.`,
		OnUsageError: commandUsage,
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: "check", Usage: "report unpinned references and change nothing (default)"},
			&cli.BoolFlag{Name: "write", Usage: "pin every tag reference to the digest it names now"},
			&cli.BoolFlag{Name: "update", Usage: "move pinned references whose tag now points elsewhere (only to verified digests with --verify)"},
			&cli.StringFlag{Name: "policy", Usage: "print an admission policy requiring the same signer: kyverno or sigstore"},
			&cli.StringSliceFlag{Name: "image", Usage: "with --policy: repository `GLOB` the policy covers (repeatable; default all)"},
			&cli.StringFlag{Name: "from", Usage: "resolve tags from this release ledger (dist/release.json) instead of the registry"},
			&cli.BoolFlag{Name: "strict", Usage: "with --check: also fail when a tag@digest pair disagrees with the registry"},
			&cli.BoolFlag{Name: "verify", Usage: "also check that every pinned digest is signed (with --key or the keyless identity flags)"},
			&cli.StringSliceFlag{Name: "allow", Usage: "repository `GLOB` exempt from --verify, not from pinning (repeatable), e.g. docker.io/library/*"},
			&cli.StringSliceFlag{Name: "exclude", Usage: "skip files matching `GLOB` (repeatable)"},
			&cli.StringFlag{Name: "platform", Usage: "pin one platform's manifest instead of the index, e.g. linux/amd64"},
			&cli.BoolFlag{Name: "json", Usage: `print {"changes","findings","files"} as JSON (the same object for --check, --write and --update)`},
			verifyFormatFlag(),
		}, verifyFlags()...),
		Action: func(c *cli.Context) error { return runPin(c, getenv) },
	}
}

func runPin(c *cli.Context, getenv env) error {
	if p := c.String("policy"); p != "" {
		return printPolicy(c, getenv, p)
	}
	// --update writes too, so --update --write is --update.
	if c.Bool("check") && (c.Bool("write") || c.Bool("update")) {
		return usageErrorf("--check changes nothing; drop it to write, or drop --write/--update to check")
	}
	if c.NArg() == 0 {
		return usageErrorf("pin needs the files or directories to scan, e.g. stevedore pin --check deploy/")
	}
	paths := c.Args().Slice()
	opts := []pin.Option{pin.WithExclude(c.StringSlice("exclude")...), pin.WithAllow(c.StringSlice("allow")...)}
	resolver, err := pinResolver(c, getenv)
	if err != nil {
		return err
	}
	var verifier pin.Verifier
	if c.Bool("verify") {
		sopts, err := verifyOptions(c, getenv)
		if err != nil {
			return err
		}
		f, err := verifyFormat(c)
		if err != nil {
			return err
		}
		verifier = signVerifier{opts: sopts, format: f, attestation: c.String("attestation")}
	}
	ctx := c.Context
	switch {
	case c.Bool("write") && !c.Bool("update"):
		res, err := pin.Pin(ctx, paths, resolver, opts...)
		if err != nil {
			return err
		}
		return printChanges(c, res)
	case c.Bool("update"):
		res, err := pin.Update(ctx, paths, resolver, verifier, opts...)
		if err != nil {
			return err
		}
		if err := printChanges(c, res); err != nil {
			return err
		}
		return findingsError(c, getenv, res.Findings)
	}
	if c.Bool("strict") {
		opts = append(opts, pin.WithStrict(resolver))
	}
	if verifier != nil {
		opts = append(opts, pin.WithVerifier(verifier))
	}
	findings, err := pin.Check(ctx, paths, opts...)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		if err := pin.FormatJSON(c.App.Writer, findings); err != nil {
			return err
		}
	}
	return findingsError(c, getenv, findings)
}

func pinResolver(c *cli.Context, getenv env) (pin.Resolver, error) {
	if f := c.String("from"); f != "" {
		return pin.LoadLedger(c.Context, f)
	}
	ropts := []pin.RegistryOption{pin.WithPublishOptions(publishOptions(getenv, c.StringSlice("insecure-registry"))...)}
	if p := c.String("platform"); p != "" {
		plat, err := platform.Parse(p)
		if err != nil {
			return nil, usageErrorf("--platform %q: want OS/ARCH[/VARIANT], e.g. linux/arm64", p)
		}
		ropts = append(ropts, pin.WithPlatform(plat))
	}
	return pin.NewRegistryResolver(ropts...), nil
}

// signVerifier checks a digest's signature (an index's and each of its
// platform manifests': a runtime pulls those) and, when asked, an
// attestation of the digest.
type signVerifier struct {
	opts        []sign.Option
	format      sign.Format
	attestation string
}

func (v signVerifier) Verify(ctx context.Context, d name.Digest) error {
	if _, err := sign.VerifyFormat(ctx, d, v.format, append(v.opts, sign.WithRecursive(true))...); err != nil {
		return err
	}
	if v.attestation != "" {
		if _, err := sign.VerifyAttestationFormat(ctx, d, v.attestation, v.format, v.opts...); err != nil {
			return err
		}
	}
	return nil
}

func printChanges(c *cli.Context, res *pin.Result) error {
	if c.Bool("json") {
		return pin.FormatResultJSON(c.App.Writer, res)
	}
	for _, ch := range res.Changes {
		fmt.Fprintf(c.App.Writer, "%s: %s -> %s\n", ch.Ref.Position(), ch.Ref.Text, ch.New)
	}
	if len(res.Changes) == 0 {
		fmt.Fprintln(c.App.ErrWriter, "nothing to change")
	}
	return nil
}

// errFindings makes findings a failure (exit 4): something is unpinned,
// moved or unsigned.
type errFindings struct{ n int }

func (e *errFindings) Error() string {
	return fmt.Sprintf("%d %s; see above", e.n, map[bool]string{true: "finding", false: "findings"}[e.n == 1])
}

// findingsError prints findings (as annotations inside GitHub Actions) and
// fails when there are any.
func findingsError(c *cli.Context, getenv env, findings []pin.Finding) error {
	if len(findings) == 0 {
		return nil
	}
	gh := githubRunner(getenv, c.App.Writer)
	for _, f := range findings {
		if gh != nil {
			gh.Annotate(actions.Annotation{File: f.File, Line: f.Line, Column: f.Column, Title: "stevedore pin: " + string(f.Rule), Message: f.Message + ". Fix: " + f.Fix})
		}
		if !c.Bool("json") {
			fmt.Fprintf(c.App.ErrWriter, "%s:%d:%d: %s (fix: %s)\n", f.File, f.Line, f.Column, f.Message, f.Fix)
		}
	}
	return &errFindings{n: len(findings)}
}

func printPolicy(c *cli.Context, getenv env, kind string) error {
	o := pin.PolicyOptions{
		Images:         c.StringSlice("image"),
		Identity:       c.String("certificate-identity"),
		IdentityRegexp: c.String("certificate-identity-regexp"),
		Issuer:         c.String("certificate-oidc-issuer"),
		IssuerRegexp:   c.String("certificate-oidc-issuer-regexp"),
	}
	if t := c.String("attestation"); t != "" {
		uri, err := sign.PredicateTypeURI(t)
		if err != nil {
			return usageErrorf("--attestation: %v", err)
		}
		o.Attestations = []string{uri}
	}
	if c.String("key") != "" {
		v, err := loadVerifier(c, getenv)
		if err != nil {
			return err
		}
		if o.PublicKey, err = v.PublicKeyPEM(); err != nil {
			return err
		}
	}
	out, err := pin.Policy(kind, o)
	if err != nil {
		return usageErrorf("%v", err)
	}
	_, err = c.App.Writer.Write(out)
	return err
}
