package main

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/urfave/cli/v2"

	"github.com/sreevishnu07/stevedore/ledger"
	"github.com/sreevishnu07/stevedore/pipeline"
	"github.com/sreevishnu07/stevedore/publish"
	"github.com/sreevishnu07/stevedore/sign"
)

func publishCommand(getenv env) *cli.Command {
	return &cli.Command{
		Name:      "publish",
		Usage:     "copy an image or index by digest to one or more destinations, then tag",
		UsageText: "stevedore publish --from REF --destination REF [--destination REF ...] [--tag T ...]\nstevedore publish --from REF --from REF ... --destination REPO [--destination REPO ...]",
		Description: `REF is a registry reference (ghcr.io/owner/app:1.2.3, docker.io/user/app,
localhost:5000/app@sha256:...) or an OCI image layout, oci:PATH[:TAG|@DIGEST].
Content goes to every destination by digest first; tags move only after every
destination holds it, so a failed publish moves no tag anywhere. All
destinations (and every platform image of an index) are pushed at once, with
at most --jobs blob uploads running together; a blob is uploaded once per
registry and mounted or found in place for the other repositories. Several
--from images are published together (a mirror): by digest, no tags. A
--from oci:PATH whose layout holds several images (after a second release
into it) publishes the one the --ledger records there, and says so.`,
		OnUsageError: commandUsage,
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "from", Usage: "source `REF` (repeatable: several images published at once, by digest, without tags)"},
			&cli.StringSliceFlag{Name: "destination", Usage: "where to copy it: a registry `REF` or oci:PATH (repeatable)"},
			&cli.StringSliceFlag{Name: "tag", Usage: "tag to apply at every destination after the push (repeatable)"},
			jobsFlag(),
			progressFlag(),
			&cli.StringSliceFlag{Name: "insecure-registry", Usage: "allow plain HTTP to this `HOST[:PORT]` (localhost and 127.0.0.0/8 always are)"},
			&cli.BoolFlag{Name: "json", Usage: `print {"destinations":[{"ref","digest","tags"}]}`},
			&cli.StringFlag{Name: "ledger", Value: "dist/release.json", Usage: "record what was published in this release ledger `PATH`, for pin --from (\"\" records nothing)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("publish takes no arguments (got %q); name the source with --from and destinations with --destination", c.Args().First())
			}
			if len(c.StringSlice("from")) == 0 || len(c.StringSlice("destination")) == 0 {
				return usageErrorf("publish needs --from REF and at least one --destination REF")
			}
			if err := checkJobs(c); err != nil {
				return err
			}
			insecure := c.StringSlice("insecure-registry")
			var srcs, dsts []publish.Reference
			for _, s := range c.StringSlice("from") {
				r, err := parseRef(s, insecure)
				if err != nil {
					return err
				}
				srcs = append(srcs, r)
			}
			for _, s := range c.StringSlice("destination") {
				d, err := parseRef(s, insecure)
				if err != nil {
					return err
				}
				if d.Tag() != "" && len(srcs) > 1 {
					return usageErrorf("--destination %s: a tag with several --from would point it at several images; write the repository only (each image is published by digest) or publish the images one at a time", s)
				}
				dsts = append(dsts, d)
			}
			// An unreadable ledger fails before anything is published.
			rec, err := openLedger(c.String("ledger"))
			if err != nil {
				return err
			}
			// After a second release into the same layout it holds two
			// images; the ledger says which one the release made.
			for i, src := range srcs {
				if srcs[i], err = chooseSource(c, src, rec); err != nil {
					return err
				}
			}
			if len(srcs) > 1 && len(c.StringSlice("tag")) > 0 {
				return usageErrorf("--tag with several --from would point one tag at several images; drop --tag (each image is published by digest) or publish the images one at a time")
			}
			prog, err := newProgress(c, getenv, nil)
			if err != nil {
				return err
			}
			defer prog.close()
			opts := []publish.Option{
				publish.WithKeychain(keychain(getenv)),
				publish.WithJobs(c.Int("jobs")),
				publish.WithInsecureRegistries(insecure...),
				publish.WithRetryEvents(func(e publish.RetryEvent) { prog.Emit(e) }),
			}
			var jobs []publish.Job
			for _, src := range srcs {
				jobs = append(jobs, publish.Job{Source: src, Destinations: dsts, Tags: c.StringSlice("tag")})
			}
			results, err := publish.PublishAll(c.Context, jobs, opts...)
			if err != nil {
				return err
			}
			res := &publish.Result{Destinations: []publish.Destination{}}
			carried := make([][]publish.Reference, len(results))
			for i, r := range results {
				// A signed layout's signatures and attestations follow the image.
				if carried[i], err = carrySignatures(c, getenv, srcs[i], dsts, r); err != nil {
					return fmt.Errorf("published, but %w", err)
				}
				res.Destinations = append(res.Destinations, r.Destinations...)
			}
			if rec != nil {
				unrecorded := res.Record(rec)
				for _, u := range unrecorded {
					fmt.Fprintf(c.App.ErrWriter, "stevedore: published %s, but %s records the image %s as %s: not recorded there (record this publish in another ledger with --ledger PATH)\n",
						u.Destination.Ref, c.String("ledger"), u.Name, u.Recorded)
				}
				for i, r := range results {
					if err := recordVerify(c, getenv, rec, srcs[i], r, carried[i], unrecorded); err != nil {
						return fmt.Errorf("published, but %w", err)
					}
				}
				if err := ledger.Write(c.String("ledger"), rec); err != nil {
					return fmt.Errorf("published, but %w", err)
				}
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, res)
			}
			for _, d := range res.Destinations {
				fmt.Fprintln(c.App.Writer, d.Ref)
			}
			return nil
		},
	}
}

// recordVerify adds to the ledger the verify commands for the destinations
// the signatures were carried to, checked there against the signer the
// ledger records; with no signer recorded it adds none and says so.
func recordVerify(c *cli.Context, getenv env, rec *ledger.Ledger, src publish.Reference, r *publish.Result, carried []publish.Reference, unrecorded []publish.Unrecorded) error {
	if r == nil || len(r.Destinations) == 0 || len(carried) == 0 {
		return nil
	}
	h, err := v1.NewHash(r.Destinations[0].Digest)
	if err != nil {
		return err
	}
	// An image the ledger left out (its name taken by another digest) gets
	// no commands there either.
	if slices.ContainsFunc(unrecorded, func(u publish.Unrecorded) bool { return u.Destination.Digest == h.String() }) {
		return nil
	}
	ro := remoteOptions(c.Context, getenv, c.StringSlice("insecure-registry"))
	added, err := pipeline.RecordPublishedVerify(c.Context, rec, h, carried, sign.WithRemoteOptions(ro...))
	if errors.Is(err, pipeline.ErrNoSigner) {
		fmt.Fprintf(c.App.ErrWriter, "stevedore: %s records no signer for %s (not signed, or written by an older stevedore): no verify commands added for the signatures carried from %s; release again to record one, or check them with stevedore verify\n",
			c.String("ledger"), h, src)
		return nil
	}
	if errors.Is(err, pipeline.ErrSignerUnavailable) {
		// The image and its signatures are published: a key missing here
		// is no reason to fail the publish after the fact.
		fmt.Fprintf(c.App.ErrWriter, "stevedore: warning: %v: no verify commands added to %s for the signatures carried from %s; run publish where the key is, or check them with stevedore verify\n",
			err, c.String("ledger"), src)
		return nil
	}
	if err != nil {
		return err
	}
	if len(added) > 0 {
		fmt.Fprintf(c.App.ErrWriter, "stevedore: recorded %d verify commands in %s\n", len(added), c.String("ledger"))
	}
	return nil
}

// openLedger reads the ledger publish adds to, or starts one; path ""
// records nothing.
func openLedger(path string) (*ledger.Ledger, error) {
	if path == "" {
		return nil, nil
	}
	l, err := ledger.Read(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &ledger.Ledger{}, nil
	}
	if err != nil {
		return nil, usageErrorf("%v (fix or remove it, or record elsewhere with --ledger PATH)", err)
	}
	return l, nil
}

// chooseSource pins a --from layout that holds several images to the one
// the ledger records there, saying so; when the ledger cannot decide, the
// error lists the --from values to choose from.
func chooseSource(c *cli.Context, src publish.Reference, rec *ledger.Ledger) (publish.Reference, error) {
	ch, err := publish.ChooseFromLedger(src, rec, c.String("ledger"))
	var amb *publish.AmbiguousLayoutError
	if errors.As(err, &amb) {
		why := ""
		if amb.Why != "" {
			why = " and " + amb.Why
		} else {
			why = " and no --ledger to choose from"
		}
		choices := make([]string, len(amb.Choices))
		for i, s := range amb.Choices {
			choices[i] = "--from " + s
		}
		return publish.Reference{}, usageErrorf("--from %s: the layout holds %d images%s; name one:\n  %s", src, amb.Images, why, strings.Join(choices, "\n  "))
	}
	if err != nil {
		return publish.Reference{}, err
	}
	if ch.FromLedger {
		d, _ := ch.Ref.Digest()
		fmt.Fprintf(c.App.ErrWriter, "stevedore: --from %s: the layout holds %d images; publishing %s, the one %s records (name another with --from %s@sha256:…)\n",
			src, ch.Images, d, c.String("ledger"), src)
	}
	return ch.Ref, nil
}

func parseRef(s string, insecure []string) (publish.Reference, error) {
	return publish.ParseReference(s, publish.WithInsecureRegistries(insecure...))
}

// jobsFlag is --jobs of publish and release: blob uploads at once across
// all images and destinations. Uploads wait on the network, not the CPU,
// so the default does not follow the core count; 4 keeps a CI runner's
// uplink busy without tripping registries' per-client limits.
func jobsFlag() cli.Flag {
	return &cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Value: publish.DefaultJobs, Usage: "blob uploads at once, across all images and destinations"}
}

func checkJobs(c *cli.Context) error {
	if c.Int("jobs") < 1 {
		return usageErrorf("--jobs must be at least 1 (got %d)", c.Int("jobs"))
	}
	return nil
}
