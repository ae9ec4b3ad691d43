package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/sreevishnu07/stevedore/actions"
	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/builder/isolate"
	"github.com/sreevishnu07/stevedore/builder/lint"
	"github.com/sreevishnu07/stevedore/event"
	"github.com/sreevishnu07/stevedore/ledger"
	"github.com/sreevishnu07/stevedore/pipeline"
	"github.com/sreevishnu07/stevedore/publish"
	"github.com/sreevishnu07/stevedore/sbom"
)

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
			&cli.BoolFlag{Name: "allow-dirty", Usage: "release uncommitted or untracked files of a build context, marked dirty in the ledger, instead of refusing"},
			&cli.BoolFlag{Name: "git-tag", Usage: "create the version's git tag after everything else worked"},
			&cli.StringFlag{Name: "bump", Usage: "force the bump: major, minor or patch"},
			&cli.StringFlag{Name: "ledger", Usage: "where to write the release record `PATH` (default from the configuration, else dist/release.json); \"\" writes none"},
			&cli.StringFlag{Name: "cache-dir", Usage: "build and SBOM cache (default $XDG_CACHE_HOME/stevedore or ~/.cache/stevedore)"},
			&cli.StringFlag{Name: "isolation", Value: "auto", Usage: "how RUN steps run: auto, namespaces, rootless or oci"},
			&cli.StringSliceFlag{Name: "insecure-registry", Usage: "allow plain HTTP to this `HOST[:PORT]`"},
			&cli.BoolFlag{Name: "json", Usage: "print the plan and ledger as JSON (progress as JSON lines on stderr, unless --progress says otherwise)"},
			progressFlag(),
			jobsFlag(),
			&cli.StringFlag{Name: "format", Usage: "signature `FORMAT` in registries and oci: layouts, over sign.format: legacy (.sig/.att tags, the default), bundle (Sigstore bundles as OCI referrers, as cosign v3; keyless needs --signing-config) or both"},
			signingConfigFlag(),
			&cli.StringFlag{Name: "trusted-root", Usage: "Sigstore trusted_root.json `FILE` the verify step and the recorded verify commands check keyless signatures against, over sign.trusted-root (a private Sigstore)"},
		}, append(append(imageFlags(), buildInputFlags()...), builderFlags()...)...),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("release takes no arguments (got %q)", c.Args().First())
			}
			// The layers built are read after the build (outputs, push,
			// SBOM, signing): the whole command holds the cache.
			release, err := builder.HoldCache(cacheDir(c.String("cache-dir"), getenv))
			if err != nil {
				return err
			}
			defer release()
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
	// The build inputs first: they mask the secrets before anything is logged.
	inputs, err := readBuildInputs(c, getenv, gh)
	if err != nil {
		return err
	}
	defer inputs.secrets.cleanup()
	cfg, err := releaseConfigFlags(c, getenv)
	if err != nil {
		if gh != nil {
			annotateConfigError(gh, err)
		}
		return err
	}
	if gh != nil {
		if err := maskConfigSecrets(gh, cfg, dir, getenv); err != nil {
			return err
		}
	}
	insecure := c.StringSlice("insecure-registry")
	buildInputOpts, err := inputs.apply(cfg, insecure)
	if err != nil {
		return err
	}
	ghEnv := githubEnv(getenv)
	ev, err := ghEnv.Event()
	if err != nil {
		return err
	}
	metaEnv, err := metadataEnv(getenv)
	if err != nil {
		return err
	}
	warnUnknownMetadataEnv(c.App.ErrWriter, gh)
	// Checked before anything is released: the outputs are written last.
	levels, err := actions.AnnotationLevels(getenv("DOCKER_METADATA_ANNOTATIONS_LEVELS"), []string{"manifest"})
	if err != nil {
		return usageErrorf("%v", err)
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
	if err := checkJobs(c); err != nil {
		return err
	}
	epoch, err := buildEpoch(ctx, dir, getenv)
	if err != nil {
		return err
	}
	progress, err := newProgress(c, getenv, gh)
	if err != nil {
		return err
	}
	defer progress.close()
	pubOpts := []publish.Option{publish.WithKeychain(keychain(getenv)), publish.WithInsecureRegistries(insecure...),
		publish.WithJobs(c.Int("jobs")), publish.WithRetryEvents(func(e publish.RetryEvent) { progress.Emit(e) })}
	opts := []pipeline.Option{
		pipeline.WithDir(dir),
		pipeline.WithCreated(sourceDateEpoch(getenv, epoch)),
		pipeline.WithDryRun(c.Bool("dry-run")),
		pipeline.WithSnapshot(c.Bool("snapshot")),
		pipeline.WithAllowDirty(c.Bool("allow-dirty")),
		pipeline.WithGitTag(c.Bool("git-tag")),
		pipeline.WithBump(c.String("bump")),
		pipeline.WithEvent(ev),
		pipeline.WithMetadataEnv(metaEnv),
		pipeline.WithRepository(ghEnv.RepoInfo()),
		pipeline.WithLabels(labels),
		pipeline.WithAnnotations(annotations),
		pipeline.WithPublishOptions(pubOpts...),
		pipeline.WithBuildOptions(
			builder.WithCacheDir(cacheDir(c.String("cache-dir"), getenv)),
			builder.WithIsolation(iso),
			builder.WithEpoch(epoch),
			builder.WithRemoteOptions(publish.RemoteOptions(ctx, pubOpts...)...),
			builder.WithOutput(progress.output),
		),
		pipeline.WithSBOMOptions(sbom.WithCacheDir(cacheDir(c.String("cache-dir"), getenv))),
		pipeline.WithSigningEnv(signingEnv(getenv)),
		pipeline.WithBuildOptions(buildInputOpts...),
		pipeline.WithSecretEnv(func(k string) (string, bool) { v := getenv(k); return v, v != "" }),
		pipeline.WithBuilder(c.String("builder"), builderTLS(c)),
		pipeline.WithProgress(progress),
		pipeline.WithChecks(func(image string, fs []lint.Finding) {
			if gh != nil {
				printChecks(c.App.ErrWriter, gh, getenv, fs)
				return
			}
			for _, f := range fs {
				progress.Emit(event.Warning{Message: image + ": " + f.String()})
			}
		}),
		pipeline.WithProvenance(ghEnv.WorkflowIdentity(), buildVersion, ghEnv.RepoURL()),
		pipeline.WithCIRun(ciRun(getenv)),
	}
	if c.IsSet("ledger") {
		opts = append(opts, pipeline.WithLedger(c.String("ledger"))) // "": none
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
			Plan   *pipeline.Plan `json:"plan"`
			Ledger *ledger.Ledger `json:"ledger,omitempty"`
		}{rep.Plan, rep.Ledger})
	}
	if c.Bool("dry-run") {
		return rep.Plan.Write(c.App.Writer)
	}
	if err := rep.WriteSummary(c.App.Writer); err != nil {
		return err
	}
	if gh != nil {
		return writeActionOutputs(gh, rep, levels, getenv)
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

// signingEnv is what the environment says about signing, for the
// release's signing policy (pipeline.SigningEnv says what it decides).
func signingEnv(getenv env) pipeline.SigningEnv {
	gha := getenv("GITHUB_ACTIONS") == "true"
	ci := gha || getenv("GITLAB_CI") != ""
	switch strings.ToLower(getenv("CI")) {
	case "true", "1", "yes":
		ci = true
	}
	return pipeline.SigningEnv{
		CI:               ci,
		GitHubActions:    gha,
		WorkflowIdentity: githubEnv(getenv).WorkflowIdentity(),
		Token:            tokenSource(getenv, ""),
		Password:         []byte(getenv(envCosignPassword)),
		Lookup:           func(k string) string { return getenv(k) },
	}
}

// githubRunner is the Actions runner protocol when running inside Actions.
func githubRunner(getenv env, w io.Writer) *actions.Runner {
	if getenv("GITHUB_ACTIONS") != "true" {
		return nil
	}
	r := actions.New(w, getenv("GITHUB_OUTPUT"), getenv("GITHUB_STEP_SUMMARY"))
	r.SetEnvFile(getenv("GITHUB_ENV"))
	return r
}

// annotateConfigError puts a configuration error on its file and line.
func annotateConfigError(gh *actions.Runner, err error) {
	var ce *pipeline.ConfigError
	if !errors.As(err, &ce) {
		return
	}
	gh.Annotate(actions.Annotation{Title: "stevedore.yaml", File: ce.File, Line: ce.Line, Column: ce.Column, Message: ce.Message})
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
