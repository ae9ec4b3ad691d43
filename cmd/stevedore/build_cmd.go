package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/builder/isolate"
	"github.com/sreevishnu07/stevedore/builder/layer"
	"github.com/sreevishnu07/stevedore/event"
	"github.com/sreevishnu07/stevedore/pipeline"
	"github.com/sreevishnu07/stevedore/publish"
)

// defaultImage is where images go when no destination is given: the
// embedded default needs no registry.
const defaultImage = "oci:dist/image"

func buildCommand(getenv env) *cli.Command {
	return &cli.Command{
		Name:      "build",
		Usage:     "build a Dockerfile into an OCI image without a daemon",
		UsageText: "stevedore build [options] [CONTEXT]",
		Description: `Builds the Dockerfile in CONTEXT (default ".") and writes the image to every
--destination (default oci:dist/image), by digest, then tags. Steps whose
inputs did not change come from the cache in --cache-dir; every step that
runs says why. The image is reproducible: its times come from
SOURCE_DATE_EPOCH, else the commit time of HEAD, else 1970.`,
		OnUsageError: commandUsage,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "file", Aliases: []string{"f"}, Usage: "Dockerfile (default CONTEXT/Dockerfile)"},
			&cli.StringSliceFlag{Name: "destination", Aliases: []string{"t"}, Usage: "where to write the image: oci:PATH[:TAG] or a registry reference (repeatable; default " + defaultImage + ")"},
			&cli.StringSliceFlag{Name: "tag", Usage: "tag to apply at every destination (repeatable)"},
			&cli.StringFlag{Name: "target", Usage: "stage to build (default: the last)"},
			&cli.StringSliceFlag{Name: "build-arg", Usage: "KEY=VALUE, or KEY to take the value from the environment (repeatable)"},
			&cli.StringSliceFlag{Name: "platform", Usage: "platforms to build, e.g. linux/amd64,linux/arm64 (default: this machine's)"},
			&cli.StringSliceFlag{Name: "build-context", Usage: "NAME=oci:PATH | NAME=docker-image://REF | NAME=DIR (repeatable)"},
			&cli.StringSliceFlag{Name: "secret", Usage: "id=ID,src=FILE or id=ID,env=VAR for RUN --mount=type=secret (repeatable)"},
			sshFlag(),
			&cli.StringFlag{Name: "isolation", Value: "auto", Usage: "how RUN steps run: auto, namespaces, rootless or oci (runc/crun)"},
			&cli.BoolFlag{Name: "no-cache", Usage: "run every step again"},
			&cli.StringSliceFlag{Name: "cache-from", Usage: "shared build cache to reuse: registry `REF`, type=registry,ref=REF, type=local,src=DIR or type=gha[,scope=NAME] (repeatable)"},
			&cli.StringFlag{Name: "cache-to", Usage: "shared build cache to write: registry `REF`, type=registry,ref=REF, type=local,dest=DIR or type=gha[,scope=NAME]"},
			&cli.StringFlag{Name: "cache-dir", Usage: "build cache and image store (default $XDG_CACHE_HOME/stevedore or ~/.cache/stevedore)"},
			&cli.StringFlag{Name: "compression", Value: "gzip", Usage: "layer compression: gzip or zstd"},
			&cli.StringSliceFlag{Name: "insecure-registry", Usage: "allow plain HTTP to this `HOST[:PORT]`"},
			progressFlag(),
			&cli.StringFlag{Name: "iidfile", Usage: "write the image (or index) digest to this file"},
			&cli.StringFlag{Name: "metadata-file", Usage: "write buildx-style build metadata (digest, descriptor, names) as JSON to this file"},
			&cli.BoolFlag{Name: "json", Usage: "print the result as JSON"},
			&cli.BoolFlag{Name: "check", Usage: "only run the build checks (as docker buildx build --check); exit status 1 when they find anything"},
		}, builderFlags()...),
		Action: func(c *cli.Context) error {
			if c.NArg() > 1 {
				return usageErrorf("build takes one CONTEXT directory (got %d arguments)", c.NArg())
			}
			contextDir := "."
			if c.NArg() == 1 {
				contextDir = c.Args().First()
			}
			// The layers built are read after the build (outputs, push,
			// SBOM, signing): the whole command holds the cache.
			release, err := builder.HoldCache(cacheDir(c.String("cache-dir"), getenv))
			if err != nil {
				return err
			}
			defer release()
			return runBuild(c, getenv, contextDir)
		},
	}
}

func runBuild(c *cli.Context, getenv env, contextDir string) error {
	ctx := c.Context
	insecure := c.StringSlice("insecure-registry")
	tos := c.StringSlice("destination")
	if len(tos) == 0 {
		tos = []string{defaultImage}
	}
	var dsts []publish.Reference
	for _, s := range tos {
		d, err := parseRef(s, insecure)
		if err != nil {
			return err
		}
		dsts = append(dsts, d)
	}
	pubOpts := []publish.Option{publish.WithKeychain(keychain(getenv)), publish.WithInsecureRegistries(insecure...)}

	var layouts []string
	for _, d := range dsts {
		if d.IsLayout() {
			layouts = append(layouts, d.Path())
		}
	}
	exclude := pipeline.OwnOutputs(contextDir, layouts...)
	opts := []builder.Option{
		builder.WithContextDir(contextDir),
		builder.WithContextExclude(exclude...),
		builder.WithNoCache(c.Bool("no-cache")),
		builder.WithRemoteOptions(publish.RemoteOptions(ctx, pubOpts...)...),
		builder.WithCacheDir(cacheDir(c.String("cache-dir"), getenv)),
	}
	if f := c.String("file"); f != "" {
		opts = append(opts, builder.WithDockerfile(f))
	}
	if t := c.String("target"); t != "" {
		opts = append(opts, builder.WithTarget(t))
	}
	args, err := buildArgs(c.StringSlice("build-arg"), getenv)
	if err != nil {
		return err
	}
	opts = append(opts, builder.WithBuildArgs(args))
	platforms, err := platforms(c.StringSlice("platform"))
	if err != nil {
		return err
	}
	if len(platforms) > 0 {
		opts = append(opts, builder.WithPlatforms(platforms...))
	}
	for _, bc := range c.StringSlice("build-context") {
		o, err := namedContext(ctx, bc, insecure, pubOpts)
		if err != nil {
			return err
		}
		opts = append(opts, o)
	}
	caches, err := pipeline.CacheOptions(c.StringSlice("cache-from"), c.String("cache-to"), publish.WithInsecureRegistries(insecure...))
	if err != nil {
		return usageErrorf("--cache-from/--cache-to: %v", err)
	}
	opts = append(opts, caches...)
	secrets, err := secretFiles(c.StringSlice("secret"), getenv)
	if err != nil {
		return err
	}
	defer secrets.cleanup()
	opts = append(opts, builder.WithSecrets(secrets.files))
	agents, err := sshAgents(c.StringSlice("ssh"), getenv)
	if err != nil {
		return err
	}
	opts = append(opts, agents.options()...)
	iso, err := isolate.ParseIsolation(c.String("isolation"))
	if err != nil {
		return usageErrorf("--isolation: %v", err)
	}
	opts = append(opts, builder.WithIsolation(iso))
	switch c.String("compression") {
	case "gzip":
	case "zstd":
		opts = append(opts, builder.WithCompression(layer.Zstd))
	default:
		return usageErrorf("--compression must be gzip or zstd (got %q)", c.String("compression"))
	}
	epoch, err := buildEpoch(ctx, contextDir, getenv)
	if err != nil {
		return err
	}
	opts = append(opts, builder.WithEpoch(epoch))
	prog, err := newProgress(c, getenv, nil)
	if err != nil {
		return err
	}
	defer prog.close()
	opts = append(opts, builder.WithProgress(prog), builder.WithOutput(prog.output))

	drv, closer, err := buildDriver(c)
	if err != nil {
		return err
	}
	if drv != nil {
		defer closer.Close()
		opts = append(opts, drv)
	}
	if c.Bool("check") {
		rep, err := builder.Check(ctx, opts...)
		if err != nil {
			return fmt.Errorf("checking %s: %w", contextDir, err)
		}
		return reportCheck(c, getenv, rep)
	}
	res, err := builder.Build(ctx, opts...)
	if err != nil {
		return fmt.Errorf("building %s: %w", contextDir, err)
	}
	// Annotations go to stderr too: the Actions runner reads workflow
	// commands from both, and stdout is the result (--json).
	printChecks(c.App.ErrWriter, githubRunner(getenv, c.App.ErrWriter), getenv, res.Checks)
	for _, w := range res.Warnings {
		prog.Emit(event.Warning{Message: w})
	}
	art, err := publish.NewArtifact(res.Artifact())
	if err != nil {
		return err
	}
	out, err := publish.PublishArtifact(ctx, art, dsts, c.StringSlice("tag"), pubOpts...)
	if err != nil {
		return err
	}
	if err := writeBuildFiles(c, art, out); err != nil {
		return err
	}
	if c.Bool("json") {
		return writeJSON(c.App.Writer, newBuildOutput(art.Digest().String(), out, res))
	}
	for _, d := range out.Destinations {
		fmt.Fprintln(c.App.Writer, d.Ref)
	}
	return nil
}

// writeBuildFiles writes --iidfile and --metadata-file, as buildx does.
func writeBuildFiles(c *cli.Context, art publish.Artifact, res *publish.Result) error {
	if f := c.String("iidfile"); f != "" {
		if err := os.WriteFile(f, []byte(art.Digest().String()), 0o644); err != nil {
			return fmt.Errorf("writing --iidfile: %w", err)
		}
	}
	f := c.String("metadata-file")
	if f == "" {
		return nil
	}
	var names []string
	for _, d := range res.Destinations {
		names = append(names, d.Ref)
	}
	meta := map[string]any{
		"containerimage.digest":     art.Digest().String(),
		"containerimage.descriptor": art.Descriptor,
		"image.name":                strings.Join(names, ","),
	}
	if art.Image != nil {
		if cd, err := art.Image.ConfigName(); err == nil {
			meta["containerimage.config.digest"] = cd.String()
		}
	}
	data, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(f, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing --metadata-file: %w", err)
	}
	return nil
}

func (s *secrets) cleanup() {
	for _, f := range s.temp {
		os.Remove(f)
	}
}
