package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/urfave/cli/v2"

	"github.com/sreevishnu07/stevedore/build"
	"github.com/sreevishnu07/stevedore/build/isolate"
	"github.com/sreevishnu07/stevedore/build/layer"
	"github.com/sreevishnu07/stevedore/publish"
	"github.com/sreevishnu07/stevedore/version"
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
--to reference (default oci:dist/image), by digest, then tags. Steps whose
inputs did not change come from the cache in --cache-dir; every step that
runs says why. The image is reproducible: its times come from
SOURCE_DATE_EPOCH, else the commit time of HEAD, else 1970.`,
		OnUsageError: commandUsage,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "file", Aliases: []string{"f"}, Usage: "Dockerfile (default CONTEXT/Dockerfile)"},
			&cli.StringSliceFlag{Name: "output", Aliases: []string{"o", "to"}, Usage: "where to write the image: oci:PATH[:TAG] or a registry reference (repeatable; default " + defaultImage + ")"},
			&cli.StringSliceFlag{Name: "tag", Usage: "tag to apply at every destination (repeatable)"},
			&cli.StringFlag{Name: "target", Usage: "stage to build (default: the last)"},
			&cli.StringSliceFlag{Name: "build-arg", Usage: "KEY=VALUE, or KEY to take the value from the environment (repeatable)"},
			&cli.StringSliceFlag{Name: "platform", Usage: "platforms to build, e.g. linux/amd64,linux/arm64 (default: this machine's)"},
			&cli.StringSliceFlag{Name: "build-context", Usage: "NAME=oci:PATH | NAME=docker-image://REF | NAME=DIR (repeatable)"},
			&cli.StringSliceFlag{Name: "secret", Usage: "id=ID,src=FILE or id=ID,env=VAR for RUN --mount=type=secret (repeatable)"},
			&cli.StringFlag{Name: "isolation", Value: "auto", Usage: "how RUN steps run: auto, namespaces, rootless or oci (runc/crun)"},
			&cli.BoolFlag{Name: "no-cache", Usage: "run every step again"},
			&cli.StringSliceFlag{Name: "cache-from", Usage: "registry `REF` of a shared build cache to reuse (repeatable; buildx's type=registry,ref=REF also works)"},
			&cli.StringFlag{Name: "cache-to", Usage: "registry `REF` to push this build's cache to"},
			&cli.StringFlag{Name: "cache-dir", Usage: "build cache and image store (default $XDG_CACHE_HOME/stevedore or ~/.cache/stevedore)"},
			&cli.StringFlag{Name: "compression", Value: "gzip", Usage: "layer compression: gzip or zstd"},
			&cli.StringSliceFlag{Name: "insecure-registry", Usage: "allow plain HTTP to this `HOST[:PORT]`"},
			&cli.StringFlag{Name: "progress", Value: "auto", Usage: "step output on stderr: auto (tty on a terminal, else plain), tty (live status line), plain, json (one object per line) or quiet"},
			&cli.StringFlag{Name: "iidfile", Usage: "write the image (or index) digest to this file"},
			&cli.StringFlag{Name: "metadata-file", Usage: "write buildx-style build metadata (digest, descriptor, names) as JSON to this file"},
			&cli.BoolFlag{Name: "json", Usage: "print the result as JSON"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 1 {
				return usageErrorf("build takes one CONTEXT directory (got %d arguments)", c.NArg())
			}
			contextDir := "."
			if c.NArg() == 1 {
				contextDir = c.Args().First()
			}
			return runBuild(c, getenv, contextDir)
		},
	}
}

func runBuild(c *cli.Context, getenv env, contextDir string) error {
	ctx := c.Context
	insecure := c.StringSlice("insecure-registry")
	tos := c.StringSlice("output")
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

	opts := []build.Option{
		build.WithContextDir(contextDir),
		build.WithNoCache(c.Bool("no-cache")),
		build.WithRemoteOptions(publish.RemoteOptions(ctx, pubOpts...)...),
		build.WithCacheDir(cacheDir(c.String("cache-dir"), getenv)),
	}
	if f := c.String("file"); f != "" {
		opts = append(opts, build.WithDockerfile(f))
	}
	if t := c.String("target"); t != "" {
		opts = append(opts, build.WithTarget(t))
	}
	args, err := buildArgs(c.StringSlice("build-arg"), getenv)
	if err != nil {
		return err
	}
	opts = append(opts, build.WithBuildArgs(args))
	platforms, err := platforms(c.StringSlice("platform"))
	if err != nil {
		return err
	}
	if len(platforms) > 0 {
		opts = append(opts, build.WithPlatforms(platforms...))
	}
	for _, bc := range c.StringSlice("build-context") {
		o, err := namedContext(ctx, bc, insecure, pubOpts)
		if err != nil {
			return err
		}
		opts = append(opts, o)
	}
	for _, spec := range c.StringSlice("cache-from") {
		ref, err := cacheRef(spec, insecure)
		if err != nil {
			return err
		}
		opts = append(opts, build.WithCacheFrom(ref))
	}
	if spec := c.String("cache-to"); spec != "" {
		ref, err := cacheRef(spec, insecure)
		if err != nil {
			return err
		}
		opts = append(opts, build.WithCacheTo(ref))
	}
	secrets, err := secretFiles(c.StringSlice("secret"), getenv)
	if err != nil {
		return err
	}
	defer secrets.cleanup()
	opts = append(opts, build.WithSecrets(secrets.files))
	iso, err := isolate.ParseIsolation(c.String("isolation"))
	if err != nil {
		return usageErrorf("--isolation: %v", err)
	}
	opts = append(opts, build.WithIsolation(iso))
	switch c.String("compression") {
	case "gzip":
	case "zstd":
		opts = append(opts, build.WithCompression(layer.Zstd))
	default:
		return usageErrorf("--compression must be gzip or zstd (got %q)", c.String("compression"))
	}
	epoch, err := buildEpoch(ctx, contextDir, getenv)
	if err != nil {
		return err
	}
	opts = append(opts, build.WithEpoch(epoch))
	mode := c.String("progress")
	if mode == "auto" {
		mode = "plain"
		if isTerminal(c.App.ErrWriter) {
			mode = "tty"
		}
	}
	switch mode {
	case "tty":
		live := newLiveLine(c.App.ErrWriter)
		defer live.Close()
		opts = append(opts, build.WithProgress(&stepPrinter{w: live, live: live}), build.WithOutput(prefixWriter(live)))
	case "plain":
		p := &stepPrinter{w: c.App.ErrWriter}
		opts = append(opts, build.WithProgress(p), build.WithOutput(prefixWriter(c.App.ErrWriter)))
	case "json":
		opts = append(opts, build.WithProgress(&jsonProgress{enc: json.NewEncoder(c.App.ErrWriter)}))
	case "quiet":
	default:
		return usageErrorf("--progress must be auto, tty, plain, json or quiet (got %q)", c.String("progress"))
	}

	res, err := build.Build(ctx, opts...)
	if err != nil {
		return fmt.Errorf("building %s: %w", contextDir, err)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(c.App.ErrWriter, "warning: %s\n", w)
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
		return writeJSON(c.App.Writer, buildOutput{Digest: art.Digest().String(), Destinations: out.Destinations, Steps: res.Steps, Bases: bases(res.Bases), Warnings: res.Warnings})
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

// jsonProgress prints each step event as one JSON object per line.
type jsonProgress struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (p *jsonProgress) Step(r build.StepReport) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.enc.Encode(r)
}

type buildOutput struct {
	Digest       string                `json:"digest"`
	Destinations []publish.Destination `json:"destinations"`
	Steps        []build.StepReport    `json:"steps"`
	Bases        []baseOutput          `json:"bases"`
	Warnings     []string              `json:"warnings,omitempty"`
}

type baseOutput struct {
	Ref      string `json:"ref"`
	Digest   string `json:"digest"`
	Platform string `json:"platform"`
}

func bases(bs []build.Base) []baseOutput {
	out := []baseOutput{}
	for _, b := range bs {
		out = append(out, baseOutput{Ref: b.Ref, Digest: b.Digest.String(), Platform: b.Platform.String()})
	}
	return out
}

// cacheRef reads a --cache-from/--cache-to value: a registry reference, or
// buildx's "type=registry,ref=REF".
func cacheRef(spec string, insecure []string) (name.Reference, error) {
	value := spec
	if strings.Contains(spec, "=") {
		value = ""
		for _, kv := range strings.Split(spec, ",") {
			k, v, _ := strings.Cut(kv, "=")
			switch {
			case k == "ref":
				value = v
			case k == "type" && v != "registry":
				return nil, usageErrorf("cache %q: only type=registry is supported", spec)
			}
		}
	}
	ref, err := parseRef(value, insecure)
	if err != nil {
		return nil, err
	}
	if ref.IsLayout() {
		return nil, usageErrorf("cache %q: a shared cache lives in a registry; the local cache is --cache-dir", spec)
	}
	return ref.Registry(), nil
}

// buildEpoch is SOURCE_DATE_EPOCH, else the commit time of HEAD in the
// context, else the Unix epoch: the same commit gives the same image.
func buildEpoch(ctx context.Context, dir string, getenv env) (time.Time, error) {
	if s := getenv("SOURCE_DATE_EPOCH"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return time.Time{}, usageErrorf("SOURCE_DATE_EPOCH=%q is not a number of seconds since 1970", s)
		}
		return time.Unix(n, 0).UTC(), nil
	}
	t, err := version.CommitTime(ctx, dir)
	if err != nil {
		if errors.Is(err, version.ErrNotGit) || errors.Is(err, version.ErrNoCommits) {
			return time.Unix(0, 0).UTC(), nil
		}
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// cacheDir is --cache-dir, else $XDG_CACHE_HOME/stevedore, else
// ~/.cache/stevedore.
func cacheDir(flag string, getenv env) string {
	switch {
	case flag != "":
		return flag
	case getenv("XDG_CACHE_HOME") != "":
		return filepath.Join(getenv("XDG_CACHE_HOME"), "stevedore")
	case getenv("HOME") != "":
		return filepath.Join(getenv("HOME"), ".cache", "stevedore")
	}
	return filepath.Join(os.TempDir(), "stevedore-cache")
}

func buildArgs(list []string, getenv env) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range list {
		k, v, ok := strings.Cut(a, "=")
		if k == "" {
			return nil, usageErrorf("--build-arg %q: want KEY=VALUE or KEY", a)
		}
		if !ok {
			// docker takes KEY alone from the environment, and skips it
			// when unset.
			if v = getenv(k); v == "" {
				continue
			}
		}
		out[k] = v
	}
	return out, nil
}

func platforms(list []string) ([]v1.Platform, error) {
	var out []v1.Platform
	for _, item := range list {
		for _, s := range strings.Split(item, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			p, err := v1.ParsePlatform(s)
			if err != nil || p.OS == "" || p.Architecture == "" {
				return nil, usageErrorf("--platform %q: want OS/ARCH[/VARIANT], e.g. linux/arm64", s)
			}
			out = append(out, *p)
		}
	}
	return out, nil
}

// namedContext turns NAME=VALUE into a build option: oci:PATH (an image in
// a layout), docker-image://REF (an image to pull) or a directory.
func namedContext(ctx context.Context, spec string, insecure []string, pubOpts []publish.Option) (build.Option, error) {
	name, value, ok := strings.Cut(spec, "=")
	if !ok || name == "" || value == "" {
		return nil, usageErrorf("--build-context %q: want NAME=oci:PATH, NAME=docker-image://REF or NAME=DIR", spec)
	}
	switch {
	case strings.HasPrefix(value, publish.LayoutPrefix):
		ref, err := parseRef(value, insecure)
		if err != nil {
			return nil, err
		}
		art, err := publish.Load(ctx, ref, pubOpts...)
		if err != nil {
			return nil, err
		}
		return build.WithNamedContext(name, build.NamedContext{Image: art.Image, Index: art.Index}), nil
	case strings.HasPrefix(value, "docker-image://"):
		ref, err := parseRef(strings.TrimPrefix(value, "docker-image://"), insecure)
		if err != nil {
			return nil, err
		}
		return build.WithNamedContext(name, build.NamedContext{Ref: ref.Registry()}), nil
	}
	fi, err := os.Stat(value)
	if err != nil || !fi.IsDir() {
		return nil, usageErrorf("--build-context %s: %q is not a directory, oci:PATH or docker-image://REF", name, value)
	}
	return build.WithNamedContext(name, build.NamedContext{Dir: value}), nil
}

// secrets holds the files given to RUN --mount=type=secret. Secrets from
// the environment are written to private temporary files, removed after
// the build, so they never pass through a command line.
type secrets struct {
	files map[string]string
	temp  []string
}

func (s *secrets) cleanup() {
	for _, f := range s.temp {
		os.Remove(f)
	}
}

func secretFiles(list []string, getenv env) (*secrets, error) {
	s := &secrets{files: map[string]string{}}
	for _, spec := range list {
		var id, src, envName string
		for _, kv := range strings.Split(spec, ",") {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "id":
				id = v
			case "src", "source":
				src = v
			case "env":
				envName = v
			default:
				s.cleanup()
				return nil, usageErrorf("--secret %q: unknown key %q (want id=, src= or env=)", spec, k)
			}
		}
		if id == "" || (src == "") == (envName == "") {
			s.cleanup()
			return nil, usageErrorf("--secret %q: want id=ID,src=FILE or id=ID,env=VAR", spec)
		}
		if envName != "" {
			f, err := os.CreateTemp("", "stevedore-secret-")
			if err != nil {
				s.cleanup()
				return nil, err
			}
			s.temp = append(s.temp, f.Name())
			_, err = f.WriteString(getenv(envName))
			f.Close()
			if err != nil {
				s.cleanup()
				return nil, err
			}
			src = f.Name()
		}
		s.files[id] = src
	}
	return s, nil
}

// stepPrinter prints one line per finished or started step; on a terminal
// (live set) the running step is a status line with its elapsed time.
type stepPrinter struct {
	mu   sync.Mutex
	w    io.Writer
	live *liveLine
}

func (p *stepPrinter) Step(r build.StepReport) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live != nil {
		switch r.Status {
		case build.StatusStarted:
			p.live.Start(r.String())
		case build.StatusCached:
			p.live.Done("   " + r.String())
		default:
			p.live.Done(fmt.Sprintf("   %s %.1fs", r, r.Duration.Seconds()))
		}
		return
	}
	switch r.Status {
	case build.StatusStarted:
		// Only RUN prints output worth a heading; the rest are quick.
		if strings.HasPrefix(strings.ToUpper(r.Instruction), "RUN") {
			fmt.Fprintf(p.w, "=> %s\n", r)
		}
	case build.StatusCached:
		fmt.Fprintf(p.w, "   %s\n", r)
	default:
		fmt.Fprintf(p.w, "   %s %.1fs\n", r, r.Duration.Seconds())
	}
}

// prefixWriter indents RUN output under its step.
func prefixWriter(w io.Writer) io.Writer { return &linePrefixer{w: w, prefix: "   | "} }

type linePrefixer struct {
	mu      sync.Mutex
	w       io.Writer
	prefix  string
	midLine bool
}

func (l *linePrefixer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, c := range string(p) {
		if !l.midLine {
			b.WriteString(l.prefix)
			l.midLine = true
		}
		b.WriteRune(c)
		if c == '\n' {
			l.midLine = false
		}
	}
	if _, err := io.WriteString(l.w, b.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}
