package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/sreevishnu07/stevedore/ledger"
	"github.com/sreevishnu07/stevedore/publish"
)

func publishCommand(getenv env) *cli.Command {
	return &cli.Command{
		Name:      "publish",
		Usage:     "copy an image or index by digest to one or more destinations, then tag",
		UsageText: "stevedore publish --from REF --destination REF [--destination REF ...] [--tag T ...]",
		Description: `REF is a registry reference (ghcr.io/owner/app:1.2.3, docker.io/user/app,
localhost:5000/app@sha256:...) or an OCI image layout, oci:PATH[:TAG|@DIGEST].
Content goes to every destination by digest first; tags move only after every
destination holds it, so a failed publish moves no tag anywhere.`,
		OnUsageError: commandUsage,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "from", Usage: "source `REF`"},
			&cli.StringSliceFlag{Name: "destination", Usage: "where to copy it: a registry `REF` or oci:PATH (repeatable)"},
			&cli.StringSliceFlag{Name: "tag", Usage: "tag to apply at every destination after the push (repeatable)"},
			&cli.IntFlag{Name: "jobs", Value: 4, Usage: "parallel blob uploads per destination"},
			&cli.StringSliceFlag{Name: "insecure-registry", Usage: "allow plain HTTP to this `HOST[:PORT]` (localhost and 127.0.0.0/8 always are)"},
			&cli.BoolFlag{Name: "json", Usage: `print {"destinations":[{"ref","digest","tags"}]}`},
			&cli.StringFlag{Name: "ledger", Value: "dist/release.json", Usage: "record what was published in this release ledger `PATH`, for pin --from (\"\" records nothing)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("publish takes no arguments (got %q); name the source with --from and destinations with --destination", c.Args().First())
			}
			if c.String("from") == "" || len(c.StringSlice("destination")) == 0 {
				return usageErrorf("publish needs --from REF and at least one --destination REF")
			}
			if c.Int("jobs") < 1 {
				return usageErrorf("--jobs must be at least 1 (got %d)", c.Int("jobs"))
			}
			insecure := c.StringSlice("insecure-registry")
			src, err := parseRef(c.String("from"), insecure)
			if err != nil {
				return err
			}
			var dsts []publish.Reference
			for _, s := range c.StringSlice("destination") {
				d, err := parseRef(s, insecure)
				if err != nil {
					return err
				}
				dsts = append(dsts, d)
			}
			// An unreadable ledger fails before anything is published.
			rec, err := openLedger(c.String("ledger"))
			if err != nil {
				return err
			}
			res, err := publish.Publish(c.Context, src, dsts, c.StringSlice("tag"),
				publish.WithKeychain(keychain(getenv)),
				publish.WithJobs(c.Int("jobs")),
				publish.WithInsecureRegistries(insecure...),
				publish.WithRetryEvents(retryPrinter(c.App.ErrWriter, c.Bool("json"))),
			)
			if err != nil {
				return err
			}
			// A signed layout's signatures and attestations follow the image.
			if err := carrySignatures(c, getenv, src, dsts, res); err != nil {
				return fmt.Errorf("published, but %w", err)
			}
			if rec != nil {
				res.Record(rec)
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

// retryPrinter shows every registry retry, wait and give-up on stderr (a
// JSON line each with --json), so a waiting publish is never silent and
// stdout keeps only the result.
func retryPrinter(w io.Writer, asJSON bool) func(publish.RetryEvent) {
	var mu sync.Mutex
	return func(e publish.RetryEvent) {
		mu.Lock()
		defer mu.Unlock()
		if asJSON {
			b, err := json.Marshal(struct {
				Event string `json:"event"`
				publish.RetryEvent
			}{"retry", e})
			if err == nil {
				fmt.Fprintln(w, string(b))
			}
			return
		}
		fmt.Fprintln(w, "stevedore: "+e.String())
	}
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

func parseRef(s string, insecure []string) (publish.Reference, error) {
	return publish.ParseReference(s, publish.WithInsecureRegistries(insecure...))
}
