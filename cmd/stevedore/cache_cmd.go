package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sreevishnu07/stevedore/builder/cachedir"
)

func cacheCommand(getenv env, stdin io.Reader) *cli.Command {
	dirFlag := &cli.StringFlag{Name: "cache-dir", Usage: "the cache to read (default $XDG_CACHE_HOME/stevedore or ~/.cache/stevedore)"}
	return &cli.Command{
		Name:         "cache",
		Usage:        "show and prune the local build cache (as docker buildx du and buildx prune)",
		UsageText:    "stevedore cache du [--verbose] [--json]\nstevedore cache prune [--all] [--filter until=DURATION] [--keep-storage SIZE] [--dry-run] [--force] [--json]",
		OnUsageError: commandUsage,
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return unknownSubcommand(c.Command, c.Args().First())
			}
			return cli.ShowSubcommandHelp(c)
		},
		Subcommands: []*cli.Command{
			{
				Name:  "du",
				Usage: "show what the cache holds, per kind: entries, size and what prune could reclaim",
				Description: `Kinds: blobs (image store), steps (step records), last-inputs, context-sums,
run-mounts (RUN --mount=type=cache), git, sbom, sbom-layers, work (build scratch
directories), trash (left by an interrupted prune) and unknown (not stevedore's).
An entry used since the oldest running build started is in use, not reclaimable;
unknown entries count as reclaimable, though only prune --all removes them.`,
				OnUsageError: commandUsage,
				Flags: []cli.Flag{
					dirFlag,
					&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "list every entry with its size and when it was last used"},
					&cli.BoolFlag{Name: "json", Usage: "print JSON (sizes in bytes, ages in seconds)"},
				},
				Action: func(c *cli.Context) error {
					if c.NArg() > 0 {
						return usageErrorf("cache du takes no arguments, got %q", c.Args().First())
					}
					dir := cacheDir(c.String("cache-dir"), getenv)
					entries, err := cachedir.List(c.Context, dir)
					if err != nil {
						return err
					}
					now := time.Now()
					if c.Bool("json") {
						return writeJSON(c.App.Writer, duJSON(dir, entries, now))
					}
					return writeDu(c.App.Writer, entries, c.Bool("verbose"), now)
				},
			},
			{
				Name:  "prune",
				Usage: "remove cache entries no running build is using",
				Description: `Without filters every entry of a kind stevedore knows goes; --all also removes
what stevedore did not write. Entries a running build may be using are kept.
Each entry is renamed away before it is deleted, so an interrupted prune
never leaves a half-deleted entry that a build would take for whole.`,
				OnUsageError: commandUsage,
				Flags: []cli.Flag{
					dirFlag,
					&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "also remove directories stevedore does not know"},
					&cli.StringSliceFlag{Name: "filter", Usage: "`until=DURATION`: only entries last used longer ago than DURATION (e.g. 24h, 30m)"},
					&cli.StringFlag{Name: "keep-storage", Usage: "remove least recently used entries until the cache holds at most `SIZE` (e.g. 5GB, 500MB, 1.5GiB, bytes)"},
					&cli.BoolFlag{Name: "dry-run", Usage: "show what would be removed, remove nothing"},
					&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "do not ask for confirmation"},
					&cli.BoolFlag{Name: "json", Usage: "print JSON (sizes in bytes)"},
				},
				Action: func(c *cli.Context) error {
					if c.NArg() > 0 {
						return usageErrorf("cache prune takes no arguments, got %q (filters go in --filter until=24h)", c.Args().First())
					}
					o, err := pruneOptions(c)
					if err != nil {
						return err
					}
					if !o.DryRun && !c.Bool("force") {
						if ok, err := confirmPrune(stdin, c.App.ErrWriter); !ok || err != nil {
							return err
						}
					}
					res, err := cachedir.Prune(c.Context, cacheDir(c.String("cache-dir"), getenv), o)
					if err != nil {
						return err
					}
					if c.Bool("json") {
						return writeJSON(c.App.Writer, pruneJSON(res, o.DryRun))
					}
					return writePrune(c.App.Writer, res, o.DryRun)
				},
			},
		},
	}
}

// pruneOptions converts prune's flags.
func pruneOptions(c *cli.Context) (cachedir.PruneOptions, error) {
	o := cachedir.PruneOptions{All: c.Bool("all"), DryRun: c.Bool("dry-run")}
	for _, f := range c.StringSlice("filter") {
		k, v, _ := strings.Cut(f, "=")
		if k != "until" {
			return o, usageErrorf("--filter %q: the filter stevedore knows is until=DURATION, e.g. --filter until=24h", f)
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return o, usageErrorf("--filter %q: want a positive duration, e.g. --filter until=24h or until=90m", f)
		}
		o.Until = d
	}
	if s := c.String("keep-storage"); s != "" {
		n, err := parseSize(s)
		if err != nil {
			return o, usageErrorf("--keep-storage %q: %v; e.g. --keep-storage 5GB, 500MB, 1.5GiB or 1000000 (bytes)", s, err)
		}
		o.KeepStorage = n
	}
	return o, nil
}

// sizeUnits are the suffixes parseSize takes: decimal as docker's (kB,
// MB, GB), binary with an i (KiB, MiB, GiB).
var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
	"ki": 1 << 10, "kib": 1 << 10, "mi": 1 << 20, "mib": 1 << 20, "gi": 1 << 30, "gib": 1 << 30, "ti": 1 << 40, "tib": 1 << 40,
}

// parseSize reads a size such as 5GB, 500MB, 1.5GiB or 1048576.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		i = len(t)
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	mult, ok := sizeUnits[unit]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q", t[i:])
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" {
		return 0, errors.New("not a number")
	}
	b := v * mult
	if b < 1 || b > 1<<62 {
		return 0, errors.New("out of range")
	}
	return int64(b), nil
}

// humanSize writes bytes as buildx does (docker/go-units HumanSize: four
// significant digits, decimal units).
func humanSize(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	v := float64(n)
	i := 0
	for v >= 1000 && i < len(units)-1 {
		v /= 1000
		i++
	}
	return fmt.Sprintf("%.4g%s", v, units[i])
}

// confirmPrune asks before removing, as buildx prune does without --force.
func confirmPrune(stdin io.Reader, w io.Writer) (bool, error) {
	fmt.Fprint(w, "WARNING! This will remove the build cache entries no running build is using.\nAre you sure you want to continue? [y/N] ")
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(w)
		return false, usageErrorf("cache prune asks for confirmation and got no answer: pass --force to prune without asking (or --dry-run to look first)")
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	fmt.Fprintln(w, "Nothing removed.")
	return false, nil
}

func writeDu(w io.Writer, entries []cachedir.Entry, verbose bool, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	if verbose {
		fmt.Fprintln(tw, "KIND\tENTRY\tSIZE\tLAST USED\tIN USE")
		for _, e := range entries {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\n", e.Kind, e.Name, humanSize(e.Size), ago(now.Sub(e.LastUsed)), e.InUse)
		}
		fmt.Fprintln(tw)
	}
	fmt.Fprintln(tw, "KIND\tENTRIES\tSIZE\tRECLAIMABLE")
	var n int
	var size, rec int64
	for _, s := range cachedir.Summarize(entries) {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", s.Kind, s.Entries, humanSize(s.Size), humanSize(s.Reclaimable))
		n += s.Entries
		size += s.Size
		rec += s.Reclaimable
	}
	fmt.Fprintf(tw, "Total:\t%d\t%s\t%s\n", n, humanSize(size), humanSize(rec))
	return tw.Flush()
}

// ago is a duration as buildx's "LAST USED" column shows it.
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d minutes ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d hours ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

func writePrune(w io.Writer, res *cachedir.PruneResult, dryRun bool) error {
	verb := "Total"
	if dryRun {
		verb = "Would reclaim"
	}
	for _, e := range res.Removed {
		fmt.Fprintf(w, "%s\t%s\t%s\n", e.Kind, e.Name, humanSize(e.Size))
	}
	if res.Kept > 0 {
		fmt.Fprintf(w, "Kept %d %s a running build may be using.\n", res.Kept, nEntries(res.Kept))
	}
	_, err := fmt.Fprintf(w, "%s:\t%s (%d %s)\n", verb, humanSize(res.Reclaimed), len(res.Removed), nEntries(len(res.Removed)))
	return err
}

// The JSON of cache du and cache prune, in the CLI's convention:
// lowercase snake_case keys, sizes in bytes, durations in seconds, lists
// never null.
type duOutput struct {
	CacheDir         string        `json:"cache_dir"`
	Kinds            []kindOutput  `json:"kinds"`
	Entries          []entryOutput `json:"entries"`
	SizeBytes        int64         `json:"size_bytes"`
	ReclaimableBytes int64         `json:"reclaimable_bytes"`
}

type kindOutput struct {
	Kind             string `json:"kind"`
	Entries          int    `json:"entries"`
	SizeBytes        int64  `json:"size_bytes"`
	ReclaimableBytes int64  `json:"reclaimable_bytes"`
}

type entryOutput struct {
	Kind               string  `json:"kind"`
	Name               string  `json:"name"`
	SizeBytes          int64   `json:"size_bytes"`
	LastUsed           string  `json:"last_used"`
	LastUsedAgoSeconds float64 `json:"last_used_ago_seconds"`
	InUse              bool    `json:"in_use"`
}

type pruneOutput struct {
	DryRun         bool          `json:"dry_run"`
	Removed        []entryOutput `json:"removed"`
	ReclaimedBytes int64         `json:"reclaimed_bytes"`
	KeptInUse      int           `json:"kept_in_use"`
}

func entryJSON(e cachedir.Entry, now time.Time) entryOutput {
	return entryOutput{Kind: string(e.Kind), Name: e.Name, SizeBytes: e.Size,
		LastUsed: e.LastUsed.UTC().Format(time.RFC3339), LastUsedAgoSeconds: now.Sub(e.LastUsed).Round(time.Second).Seconds(), InUse: e.InUse}
}

func duJSON(dir string, entries []cachedir.Entry, now time.Time) duOutput {
	out := duOutput{CacheDir: dir, Kinds: []kindOutput{}, Entries: []entryOutput{}}
	for _, s := range cachedir.Summarize(entries) {
		out.Kinds = append(out.Kinds, kindOutput{Kind: string(s.Kind), Entries: s.Entries, SizeBytes: s.Size, ReclaimableBytes: s.Reclaimable})
		out.SizeBytes += s.Size
		out.ReclaimableBytes += s.Reclaimable
	}
	for _, e := range entries {
		out.Entries = append(out.Entries, entryJSON(e, now))
	}
	return out
}

func pruneJSON(res *cachedir.PruneResult, dryRun bool) pruneOutput {
	out := pruneOutput{DryRun: dryRun, Removed: []entryOutput{}, ReclaimedBytes: res.Reclaimed, KeptInUse: res.Kept}
	now := time.Now()
	for _, e := range res.Removed {
		out.Removed = append(out.Removed, entryJSON(e, now))
	}
	return out
}

func nEntries(n int) string {
	if n == 1 {
		return "entry"
	}
	return "entries"
}
