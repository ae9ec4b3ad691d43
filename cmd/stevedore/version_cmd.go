package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sreevishnu07/stevedore/version"
)

func planCommand(getenv env) *cli.Command {
	return &cli.Command{
		Name:  "plan",
		Usage: "plan the next semantic version and image tags from git history",
		Description: `Reads the tags and Conventional Commits of the repository and prints the
version this commit releases and the image tags it gets. Tag rules use
docker/metadata-action's "tags:" syntax; pass them with --tag-rule (repeatable,
one rule per line) or --tag-rules-file. --notes prints the release notes instead:
the Conventional Commits since the last version as a Markdown changelog.`,
		OnUsageError: commandUsage,
		Flags:        planFlags(),
		Action:       planAction(getenv),
	}
}

// planFlags are plan's flags; the deprecated planning spelling of version
// accepts them too.
func planFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "dir", Value: ".", Usage: "git repository to read"},
		&cli.StringFlag{Name: "tag-prefix", Value: "v", Usage: "prefix of version tags (app/v for a monorepo's app/v1.2.3)"},
		&cli.StringFlag{Name: "bump", Usage: "force the bump: major, minor or patch"},
		&cli.StringFlag{Name: "prerelease", Usage: "prerelease identifier, e.g. rc gives 1.3.0-rc.1"},
		&cli.BoolFlag{Name: "v0-major", Usage: "below 1.0.0, let a breaking change bump the major version"},
		&cli.StringSliceFlag{Name: "tag-rule", Usage: "tag `RULES` in metadata-action syntax, one per line (repeatable)"},
		&cli.StringFlag{Name: "tag-rules-file", Usage: "file holding tag rules, one per line"},
		&cli.StringFlag{Name: "flavor", Usage: "metadata-action flavor lines: latest=auto|true|false, prefix=, suffix="},
		&cli.BoolFlag{Name: "json", Usage: "print one JSON object"},
		&cli.BoolFlag{Name: "notes", Usage: "print the release notes (Markdown, from the Conventional Commits since the last version)"},
		&cli.StringFlag{Name: "date", Usage: "date in the notes' heading, YYYY-MM-DD (default HEAD's commit date)"},
	}
}

func planAction(getenv env) cli.ActionFunc {
	return func(c *cli.Context) error {
		if c.NArg() > 0 {
			return usageErrorf("%s takes no arguments (got %q); use --dir to name the repository", c.Command.Name, c.Args().First())
		}
		if c.Bool("notes") && c.Bool("json") {
			return usageErrorf("--notes and --json cannot be combined; the JSON plan holds the commits under \"commits\"")
		}
		opts, err := versionOptions(c, getenv)
		if err != nil {
			return err
		}
		rel, err := version.Plan(c.Context, c.String("dir"), opts...)
		if err != nil {
			return fmt.Errorf("planning version: %w", err)
		}
		if c.Bool("notes") {
			date, err := notesDate(c)
			if err != nil {
				return err
			}
			_, err = io.WriteString(c.App.Writer, version.Notes(rel, date))
			return err
		}
		if c.Bool("json") {
			return writeJSON(c.App.Writer, rel)
		}
		writeRelease(c.App.Writer, rel)
		return nil
	}
}

// notesDate is the --date flag, checked, or the date of HEAD's commit, so
// the notes of one commit are the same wherever they are made.
func notesDate(c *cli.Context) (string, error) {
	if d := c.String("date"); d != "" {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			return "", usageErrorf("--date %q is not a date; write it as YYYY-MM-DD", d)
		}
		return d, nil
	}
	t, err := version.CommitTime(c.Context, c.String("dir"))
	if err != nil {
		return "", fmt.Errorf("reading the commit date for the notes: %w", err)
	}
	return t.UTC().Format(time.DateOnly), nil
}

// versionOptions converts flags and the CI context into library options.
func versionOptions(c *cli.Context, getenv env) ([]version.Option, error) {
	opts := []version.Option{
		version.WithTagPrefix(c.String("tag-prefix")),
		version.WithV0Major(c.Bool("v0-major")),
	}
	if b := c.String("bump"); b != "" {
		opts = append(opts, version.WithBump(b))
	}
	if p := c.String("prerelease"); p != "" {
		opts = append(opts, version.WithPrerelease(p))
	}
	// --tag-rule and --tag-rules-file are parsed apart so that an error names the
	// line of the file it is on, not one shifted by the flags.
	rules, err := version.ParseRules(strings.Join(c.StringSlice("tag-rule"), "\n"))
	if err != nil {
		return nil, usageErrorf("--tag-rule: %v", err)
	}
	if f := c.String("tag-rules-file"); f != "" {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, usageErrorf("reading tag rules: %v", err)
		}
		fileRules, err := version.ParseRules(string(data))
		if err != nil {
			return nil, usageErrorf("--tag-rules-file %s: %v", f, err)
		}
		rules = append(rules, fileRules...)
	}
	if len(rules) > 0 {
		opts = append(opts, version.WithRules(rules))
	}
	if f := c.String("flavor"); f != "" {
		flavor, err := version.ParseFlavor(f)
		if err != nil {
			return nil, usageErrorf("%v", err)
		}
		opts = append(opts, version.WithFlavor(flavor))
	}
	ev, err := githubEvent(getenv)
	if err != nil {
		return nil, err
	}
	m, err := metadataEnv(getenv)
	if err != nil {
		return nil, err
	}
	return append(opts, version.WithEvent(ev), version.WithMetadataEnv(m)), nil
}

func writeRelease(w io.Writer, rel *version.Release) {
	current := rel.Current
	if current == "" {
		current = "(none)"
	} else if rel.CurrentTag != "" {
		current += " (" + rel.CurrentTag + ")"
	}
	fmt.Fprintf(w, "current  %s\n", current)
	switch {
	case !rel.Releasable:
		fmt.Fprintf(w, "version  %s (no releasable commits since %s; nothing to bump)\n", orDash(rel.Version), orFirst(rel.CurrentTag))
	case rel.Tagged:
		fmt.Fprintf(w, "version  %s (HEAD is tagged %s)\n", rel.Version, rel.GitTag)
	default:
		fmt.Fprintf(w, "version  %s (%s bump, git tag %s)\n", rel.Version, rel.Bump, rel.GitTag)
	}
	fmt.Fprintf(w, "commit   %s\n", rel.Commit)
	fmt.Fprintf(w, "tags     %s\n", strings.Join(rel.Tags, " "))
	for _, n := range rel.Notes {
		fmt.Fprintf(w, "note     %s\n", n)
	}
}

func orFirst(tag string) string {
	if tag == "" {
		return "the first commit"
	}
	return tag
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
