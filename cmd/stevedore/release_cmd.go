package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/sreevishnu07/stevedore/actions"
	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/builder/isolate"
	"github.com/sreevishnu07/stevedore/pipeline"
	"github.com/sreevishnu07/stevedore/publish"
	"github.com/sreevishnu07/stevedore/sign"
)

// defaultKeyDir holds the key of the embedded default, created on first use.
const defaultKeyDir = ".stevedore"

func releaseCommand(getenv env) *cli.Command {
	return &cli.Command{
		Name:  "release",
		Usage: "build, push by digest, SBOM, sign, verify, then move tags: one transaction",
		Description: `Runs the release described by stevedore.yaml (or, without one, the embedded
default: ./Dockerfile → oci:dist/image, an SPDX SBOM, signed with a key under
.stevedore/). Steps: plan → build → push by digest → SBOM → sign and attest →
verify → move tags → ledger (→ git tag). A failure at any step moves no tag;
running again resumes without sending anything twice.`,
		OnUsageError: commandUsage,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "configuration file (default: stevedore.yaml in --dir, if present)"},
			&cli.StringFlag{Name: "dir", Value: ".", Usage: "repository directory; paths in the configuration are relative to it"},
			&cli.StringSliceFlag{Name: "label", Usage: "KEY=VALUE config label of every image, over stevedore.yaml's and the computed org.opencontainers.image.* ones (repeatable)"},
			&cli.StringSliceFlag{Name: "annotation", Usage: "KEY=VALUE manifest and index annotation of every image (repeatable)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "print the plan (version, tags, destinations, steps) and change nothing"},
			&cli.BoolFlag{Name: "snapshot", Usage: "release X.Y.Z-SNAPSHOT-<sha>: never moves floating tags"},
			&cli.BoolFlag{Name: "git-tag", Usage: "create the version's git tag after everything else worked"},
			&cli.StringFlag{Name: "bump", Usage: "force the bump: major, minor or patch"},
			&cli.StringFlag{Name: "ledger", Usage: "where to write the release record (default from the configuration, else dist/release.json)"},
			&cli.StringFlag{Name: "cache-dir", Usage: "build cache (default $XDG_CACHE_HOME/stevedore or ~/.cache/stevedore)"},
			&cli.StringFlag{Name: "isolation", Value: "auto", Usage: "how RUN steps run: auto, namespaces, rootless or oci"},
			&cli.StringSliceFlag{Name: "insecure-registry", Usage: "allow plain HTTP to this `HOST[:PORT]`"},
			&cli.BoolFlag{Name: "json", Usage: "print the plan and ledger as JSON"},
		}, append(imageFlags(), builderFlags()...)...),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("release takes no arguments (got %q)", c.Args().First())
			}
			return runRelease(c, getenv)
		},
	}
}

func runRelease(c *cli.Context, getenv env) error {
	ctx := c.Context
	dir := c.String("dir")
	gh := githubRunner(getenv, c.App.Writer)
	if p := getenv("COSIGN_PASSWORD"); p != "" && gh != nil {
		gh.Mask(p)
	}
	cfg, err := releaseConfigFlags(c, getenv)
	if err != nil {
		if gh != nil {
			annotateConfigError(gh, err)
		}
		return err
	}
	ev, err := githubEvent(getenv)
	if err != nil {
		return err
	}
	metaEnv, err := metadataEnv(getenv)
	if err != nil {
		return err
	}
	labels, err := keyValues("--label", c.StringSlice("label"))
	if err != nil {
		return err
	}
	annotations, err := keyValues("--annotation", c.StringSlice("annotation"))
	if err != nil {
		return err
	}
	iso, err := isolate.ParseIsolation(c.String("isolation"))
	if err != nil {
		return usageErrorf("--isolation: %v", err)
	}
	insecure := c.StringSlice("insecure-registry")
	pubOpts := []publish.Option{publish.WithKeychain(keychain(getenv)), publish.WithInsecureRegistries(insecure...)}
	epoch, err := buildEpoch(ctx, dir, getenv)
	if err != nil {
		return err
	}
	progress := &releaseProgress{w: progressWriter(c, gh), gh: gh}
	if gh == nil && isTerminal(c.App.ErrWriter) {
		progress.live = newLiveLine(c.App.ErrWriter)
		progress.w = progress.live
		defer progress.live.Close()
	}
	buildOut := prefixWriter(progress.w)
	opts := []pipeline.Option{
		pipeline.WithDir(dir),
		pipeline.WithDryRun(c.Bool("dry-run")),
		pipeline.WithSnapshot(c.Bool("snapshot")),
		pipeline.WithGitTag(c.Bool("git-tag")),
		pipeline.WithBump(c.String("bump")),
		pipeline.WithEvent(ev),
		pipeline.WithMetadataEnv(metaEnv),
		pipeline.WithRepository(repoInfo(getenv)),
		pipeline.WithLabels(labels),
		pipeline.WithAnnotations(annotations),
		pipeline.WithLedger(c.String("ledger")),
		pipeline.WithPublishOptions(pubOpts...),
		pipeline.WithBuildOptions(
			builder.WithCacheDir(cacheDir(c.String("cache-dir"), getenv)),
			builder.WithIsolation(iso),
			builder.WithEpoch(epoch),
			builder.WithRemoteOptions(publish.RemoteOptions(ctx, pubOpts...)...),
			builder.WithOutput(buildOut),
		),
		pipeline.WithBuilder(c.String("builder"), builderTLS(c)),
		pipeline.WithSigner(releaseSigner(dir, getenv, c.App.ErrWriter)),
		pipeline.WithProgress(progress),
		pipeline.WithProvenance(workflowIdentity(getenv), buildVersion, repoURL(getenv)),
	}
	rep, err := pipeline.Release(ctx, cfg, opts...)
	if errors.Is(err, pipeline.ErrNothingToRelease) {
		fmt.Fprintf(c.App.ErrWriter, "stevedore: %v\n", err)
		if gh != nil {
			_ = gh.SetOutput("released", "false")
		}
		return nil
	}
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return writeJSON(c.App.Writer, struct {
			Plan   *pipeline.Plan   `json:"plan"`
			Ledger *pipeline.Ledger `json:"ledger,omitempty"`
		}{rep.Plan, rep.Ledger})
	}
	if c.Bool("dry-run") {
		return rep.Plan.Write(c.App.Writer)
	}
	if err := rep.WriteSummary(c.App.Writer); err != nil {
		return err
	}
	if gh != nil {
		return writeActionOutputs(gh, rep)
	}
	return nil
}

// releaseConfig loads --config, else DIR/stevedore.yaml, else the embedded
// default.
func releaseConfig(path, dir string, getenv env) (*pipeline.Config, error) {
	lookup := func(k string) (string, bool) {
		v := getenv(k)
		return v, v != ""
	}
	if path != "" {
		return pipeline.Load(path, lookup)
	}
	p := filepath.Join(dir, pipeline.DefaultConfigFile)
	if _, err := os.Stat(p); err == nil {
		return pipeline.Load(p, lookup)
	}
	return pipeline.DefaultConfig(), nil
}

// releaseSigner makes signers for the configuration: a key file, env://VAR,
// a KMS URI, keyless in GitHub Actions, or the embedded default key, which
// it creates (and says so) on first use.
func releaseSigner(dir string, getenv env, log io.Writer) pipeline.SignerFunc {
	var mu sync.Mutex
	return func(ctx context.Context, s pipeline.Signing) (*sign.Signer, error) {
		mu.Lock()
		defer mu.Unlock()
		password := []byte(getenv("COSIGN_PASSWORD"))
		switch {
		case s.Keyless:
			token, err := sign.GitHubIDToken(ctx, getenv("ACTIONS_ID_TOKEN_REQUEST_URL"), getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN"), nil)
			if err != nil {
				return nil, err
			}
			return sign.NewKeylessSigner(ctx, token, sign.KeylessConfig{FulcioURL: s.FulcioURL, RekorURL: s.RekorURL})
		case strings.HasPrefix(s.Key, "env://"):
			v := strings.TrimPrefix(s.Key, "env://")
			pem := getenv(v)
			if pem == "" {
				return nil, usageErrorf("signing key %s: the variable %s is empty", s.Key, v)
			}
			return sign.LoadSigner([]byte(pem), password)
		case sign.IsKMSURI(s.Key):
			return sign.LoadKMSSigner(ctx, s.Key)
		case s.Key != "":
			key := s.Key
			if !filepath.IsAbs(key) {
				key = filepath.Join(dir, key)
			}
			return sign.LoadSignerFile(key, password)
		}
		key := filepath.Join(dir, defaultKeyDir, "cosign.key")
		if _, err := os.Stat(key); err == nil {
			return sign.LoadSignerFile(key, password)
		}
		priv, pub, err := sign.GenerateKeys(password)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(key), 0o700); err != nil {
			return nil, fmt.Errorf("creating %s: %w", filepath.Dir(key), err)
		}
		if err := os.WriteFile(key, priv, 0o600); err != nil {
			return nil, fmt.Errorf("writing signing key: %w", err)
		}
		pubFile := filepath.Join(dir, defaultKeyDir, "cosign.pub")
		if err := os.WriteFile(pubFile, pub, 0o644); err != nil {
			return nil, fmt.Errorf("writing public key: %w", err)
		}
		fmt.Fprintf(log, "created a signing key: %s (private, encrypted with $COSIGN_PASSWORD) and %s; keep %s out of version control\n", key, pubFile, defaultKeyDir)
		if len(password) == 0 {
			fmt.Fprintf(log, "warning: COSIGN_PASSWORD is empty, so %s is not protected by a password; set COSIGN_PASSWORD before the first release to encrypt it\n", key)
		}
		return sign.LoadSignerFile(key, password)
	}
}

// workflowIdentity names the builder for provenance: the workflow run in
// GitHub Actions, else stevedore itself.
func workflowIdentity(getenv env) string {
	if ref := getenv("GITHUB_WORKFLOW_REF"); ref != "" {
		return strings.TrimRight(getenv("GITHUB_SERVER_URL"), "/") + "/" + ref
	}
	return ""
}

func repoURL(getenv env) string {
	if r := getenv("GITHUB_REPOSITORY"); r != "" {
		server := getenv("GITHUB_SERVER_URL")
		if server == "" {
			server = "https://github.com"
		}
		return strings.TrimRight(server, "/") + "/" + r
	}
	return ""
}

// progressWriter is stderr, except in Actions, where step lines go to
// stdout with the group markers so they stay inside their groups.
func progressWriter(c *cli.Context, gh *actions.Runner) io.Writer {
	if gh != nil {
		return c.App.Writer
	}
	return c.App.ErrWriter
}

// releaseProgress prints one line per step, grouped in GitHub Actions.
type releaseProgress struct {
	mu   sync.Mutex
	w    io.Writer
	gh   *actions.Runner
	live *liveLine // on a terminal: a status line with the running step's time
}

func (p *releaseProgress) Event(e pipeline.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	label := e.Step
	if e.Image != "" {
		label += " " + e.Image
	}
	if !e.Done {
		switch {
		case p.live != nil:
			p.live.Start(label)
		case p.gh != nil:
			p.gh.Group(label)
			fallthrough
		default:
			fmt.Fprintf(p.w, "=> %s\n", label)
		}
		return
	}
	status := "done"
	if e.Err != nil {
		status = "FAILED"
	}
	detail := ""
	if e.Detail != "" {
		detail = ": " + e.Detail
	}
	line := fmt.Sprintf("   %s %s in %.1fs%s", label, status, e.Duration.Seconds(), detail)
	if p.live != nil {
		p.live.Done(line)
		return
	}
	fmt.Fprintln(p.w, line)
	if p.gh != nil {
		p.gh.EndGroup()
	}
}

// githubRunner is the Actions runner protocol when running inside Actions.
func githubRunner(getenv env, w io.Writer) *actions.Runner {
	if getenv("GITHUB_ACTIONS") != "true" {
		return nil
	}
	return actions.New(w, getenv("GITHUB_OUTPUT"), getenv("GITHUB_STEP_SUMMARY"))
}

// annotateConfigError puts a configuration error on its file and line.
func annotateConfigError(gh *actions.Runner, err error) {
	var ce *pipeline.ConfigError
	if !errors.As(err, &ce) {
		return
	}
	gh.Annotate(actions.Annotation{Title: "stevedore.yaml", File: ce.File, Line: ce.Line, Column: ce.Column, Message: ce.Message})
}

func writeActionOutputs(gh *actions.Runner, rep *pipeline.Report) error {
	var tags, tagged, refs, sboms, verify []string
	digest := ""
	for i, li := range rep.Ledger.Images {
		if i == 0 {
			digest = li.Digest
		}
		tags = append(tags, rep.Plan.Images[i].Tags...)
		for _, d := range li.Destinations {
			refs = append(refs, d.Ref)
			repo, _, _ := strings.Cut(d.Ref, "@")
			for _, t := range d.Tags {
				tagged = append(tagged, repo+":"+t)
			}
		}
		for _, s := range li.SBOMs {
			sboms = append(sboms, s.Path)
		}
		verify = append(verify, li.Verify...)
	}
	ledger, err := json.Marshal(rep.Ledger)
	if err != nil {
		return fmt.Errorf("encoding the ledger output: %w", err)
	}
	for k, v := range map[string]string{
		"released":        "true",
		"version":         rep.Plan.Version,
		"tags":            strings.Join(tagged, "\n"),
		"tag-names":       strings.Join(dedupe(tags), "\n"),
		"json":            string(ledger),
		"digest":          digest,
		"image-refs":      strings.Join(refs, "\n"),
		"sbom-files":      strings.Join(sboms, "\n"),
		"ledger":          rep.Plan.LedgerPath,
		"verify-commands": strings.Join(verify, "\n"),
	} {
		if err := gh.SetOutput(k, v); err != nil {
			return err
		}
	}
	return gh.AppendSummary(rep.Markdown())
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// keyValues converts repeated KEY=VALUE flags.
func keyValues(flag string, list []string) (map[string]string, error) {
	if len(list) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, kv := range list {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageErrorf("%s %q: want KEY=VALUE", flag, kv)
		}
		out[k] = v
	}
	return out, nil
}
