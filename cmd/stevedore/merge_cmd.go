package main

import (
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/urfave/cli/v2"

	"github.com/sreevishnu07/stevedore/event"
	"github.com/sreevishnu07/stevedore/pipeline"
	"github.com/sreevishnu07/stevedore/publish"
	"github.com/sreevishnu07/stevedore/sign"
)

func mergeCommand(getenv env) *cli.Command {
	return &cli.Command{
		Name:      "merge",
		Usage:     "assemble single-platform images pushed by digest into one signed multi-platform index",
		UsageText: "stevedore merge --destination REF [--destination REF ...] [--tag T ...] [--key cosign.key | --keyless [--signing-config FILE]] [--format legacy|bundle|both] REPO@sha256:... ...",
		Description: `For builds fanned out over CI runners, one platform each, each pushed by
digest: merge reads each image's platform from its config, builds the index,
pushes it by digest to every --destination, signs it and its children (with --key or
--keyless), and only then applies --tag. --format as for sign: with a
--signing-config it defaults to bundle, as cosign v3 signs.`,
		OnUsageError: commandUsage,
		Flags: append([]cli.Flag{
			&cli.StringSliceFlag{Name: "destination", Usage: "repository `REF` to push the index to (repeatable)"},
			&cli.StringSliceFlag{Name: "tag", Usage: "tag to apply after signing (repeatable)"},
			&cli.BoolFlag{Name: "json", Usage: "print the result as JSON"},
			formatFlag(),
			progressFlag(),
		}, signerFlags()...),
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 || len(c.StringSlice("destination")) == 0 {
				return usageErrorf("merge needs --destination REF and the images to merge, as REPO@sha256:… (one per platform)")
			}
			insecure := c.StringSlice("insecure-registry")
			var srcs []name.Digest
			for _, a := range c.Args().Slice() {
				d, err := name.NewDigest(a)
				if err != nil {
					return usageErrorf("merge takes images by digest (REPO@sha256:…), got %q: %v", a, err)
				}
				srcs = append(srcs, d)
			}
			var dsts []publish.Reference
			for _, s := range c.StringSlice("destination") {
				d, err := parseRef(s, insecure)
				if err != nil {
					return err
				}
				dsts = append(dsts, d)
			}
			legacy, bundle, err := signFormats(c)
			if err != nil {
				return err
			}
			format := pipeline.FormatLegacy
			if bundle {
				format = pipeline.FormatBundle
				if legacy {
					format = pipeline.FormatBoth
				}
			}
			prog, err := newProgress(c, getenv, nil)
			if err != nil {
				return err
			}
			defer prog.close()
			var signer *sign.Signer
			if c.String("key") != "" || c.Bool("keyless") || c.String("signing-config") != "" {
				var err error
				if signer, err = loadSigner(c, getenv); err != nil {
					return err
				}
			} else {
				prog.Emit(event.Warning{Message: "no --key or --keyless: the index is not signed"})
			}
			pubOpts := append(publishOptions(getenv, insecure), publish.WithRetryEvents(func(e publish.RetryEvent) { prog.Emit(e) }))
			res, err := pipeline.Merge(c.Context, srcs, dsts, c.StringSlice("tag"), signer, format, pubOpts, signOptions(c, getenv), prog)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, res)
			}
			for _, d := range res.Published {
				fmt.Fprintln(c.App.Writer, d.Ref)
			}
			return nil
		},
	}
}
