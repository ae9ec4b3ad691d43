package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/sreevishnu07/stevedore/actions"
	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/pipeline"
	"github.com/sreevishnu07/stevedore/publish"
	"github.com/sreevishnu07/stevedore/version"
)

// buildInputFlags are build-push-action's build inputs as release flags.
// They say how to build rather than what to release, so they compose with
// a stevedore.yaml: build arguments override its build-args: key by key,
// secrets and caches apply to every image's build.
func buildInputFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "build-arg", Usage: "KEY=VALUE, or KEY to take the value from the environment, for every image, over stevedore.yaml's build-args: (repeatable)"},
		&cli.StringFlag{Name: "target", Usage: "stage to build (default: the last; with a stevedore.yaml of several images set target: per image)"},
		&cli.StringSliceFlag{Name: "secret", Usage: "id=ID,src=FILE or id=ID,env=VAR for RUN --mount=type=secret (repeatable); never written to images, logs or provenance"},
		sshFlag(),
		&cli.StringSliceFlag{Name: "cache-from", Usage: "shared build cache to reuse for every image: registry `REF`, type=registry,ref=REF, type=local,src=DIR or type=gha[,scope=NAME] (repeatable; adds to stevedore.yaml's cache-from:)"},
		&cli.StringFlag{Name: "cache-to", Usage: "shared build cache to write: registry `REF`, type=registry,ref=REF, type=local,dest=DIR or type=gha[,scope=NAME] (one image only; over stevedore.yaml's cache-to:)"},
		// The GitHub Action's second step sets this: the list inputs are
		// read from INPUT_* here, with build-push-action's list rules, so a
		// secret value never passes through a command line.
		&cli.BoolFlag{Name: "action-inputs", Hidden: true},
	}
}

// buildInputs is what the build input flags and action inputs ask for.
type buildInputs struct {
	args      map[string]string
	target    string
	secrets   *secrets
	ssh       sshSources
	cacheFrom []string
	cacheTo   string
}

// readBuildInputs converts the flags, then the action's inputs (which come
// after them: an input is the more specific of the two).
func readBuildInputs(c *cli.Context, getenv env, gh *actions.Runner) (*buildInputs, error) {
	argList := c.StringSlice("build-arg")
	secretSpecs := c.StringSlice("secret")
	in := &buildInputs{target: c.String("target"), cacheFrom: c.StringSlice("cache-from"), cacheTo: c.String("cache-to")}
	var values map[string]string // secrets input: id → the secret itself
	if c.Bool("action-inputs") {
		list := func(name string, o actions.ListOptions) []string {
			return actions.List(getenv("INPUT_"+strings.ToUpper(strings.ReplaceAll(name, "-", "_"))), o)
		}
		whole := actions.ListOptions{IgnoreComma: true}
		argList = append(argList, list("build-args", whole)...)
		if t := strings.TrimSpace(getenv("INPUT_TARGET")); t != "" {
			in.target = t
		}
		in.cacheFrom = append(in.cacheFrom, list("cache-from", whole)...)
		switch to := list("cache-to", whole); len(to) {
		case 0:
		case 1:
			in.cacheTo = to[0]
		default:
			return nil, usageErrorf("input cache-to: %d caches given; stevedore exports one (type=registry,ref=REF, type=local,dest=DIR or type=gha)", len(to))
		}
		values = map[string]string{}
		for _, item := range list("secrets", actions.ListOptions{IgnoreComma: true, KeepWhitespace: true}) {
			id, v, err := actions.KeyValue("secrets", item)
			if err != nil {
				return nil, usageErrorf("%v: want ID=VALUE, as build-push-action", err)
			}
			values[strings.TrimSpace(id)] = v
		}
		for _, item := range list("secret-files", whole) {
			id, file, err := actions.KeyValue("secret-files", item)
			if err != nil {
				return nil, usageErrorf("%v: want ID=FILE, as build-push-action", err)
			}
			if _, err := os.Stat(file); err != nil {
				return nil, usageErrorf("input secret-files: secret %s: %v", id, err)
			}
			secretSpecs = append(secretSpecs, "id="+id+",src="+file)
		}
		for _, item := range list("secret-envs", actions.ListOptions{}) {
			id, name, err := actions.KeyValue("secret-envs", item)
			if err != nil {
				return nil, usageErrorf("%v: want ID=ENV_VAR, as build-push-action", err)
			}
			if getenv(name) == "" {
				return nil, usageErrorf("input secret-envs: secret %s: the variable %s is not set in the step's env", id, name)
			}
			values[id] = getenv(name)
		}
	}
	// Every secret value is masked before anything else is logged, so no
	// later line (a build step's output, an error) can show it.
	if gh != nil {
		if err := maskSecrets(gh, secretSpecs, values, getenv); err != nil {
			return nil, err
		}
	}
	args, err := buildArgs(argList, getenv)
	if err != nil {
		return nil, err
	}
	if len(args) > 0 {
		in.args = args
	}
	if in.secrets, err = secretFiles(secretSpecs, getenv); err != nil {
		return nil, err
	}
	if in.ssh, err = sshAgents(c.StringSlice("ssh"), getenv); err != nil {
		in.secrets.cleanup()
		return nil, err
	}
	for id, v := range values {
		if err := in.secrets.addValue(id, v); err != nil {
			in.secrets.cleanup()
			return nil, err
		}
	}
	return in, nil
}

// addValue makes a secret given by value available to the build, through
// a private temporary file removed with the others.
func (s *secrets) addValue(id, value string) error {
	f, err := os.CreateTemp("", "stevedore-secret-")
	if err != nil {
		return fmt.Errorf("writing secret %s: %w", id, err)
	}
	s.temp = append(s.temp, f.Name())
	_, err = f.WriteString(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing secret %s: %w", id, err)
	}
	s.files[id] = f.Name()
	return nil
}

// apply puts the build arguments and the target into the configuration and
// returns the build options for secrets and caches.
func (in *buildInputs) apply(cfg *pipeline.Config, insecure []string) ([]builder.Option, error) {
	if in.target != "" && len(cfg.Images) > 1 {
		return nil, usageErrorf("--target %s: the configuration has %d images; set target: under each image in stevedore.yaml", in.target, len(cfg.Images))
	}
	if in.cacheTo != "" && len(cfg.Images) > 1 {
		return nil, usageErrorf("--cache-to %s: the configuration has %d images, which would overwrite one cache; release them with one cache-to each, or use --cache-from only", builder.RedactCacheSpec(in.cacheTo), len(cfg.Images))
	}
	for i := range cfg.Images {
		img := &cfg.Images[i]
		if in.target != "" {
			img.Target = in.target
		}
		if len(in.args) > 0 {
			merged := maps.Clone(img.BuildArgs)
			if merged == nil {
				merged = map[string]string{}
			}
			maps.Copy(merged, in.args)
			img.BuildArgs = merged
		}
	}
	opts := append([]builder.Option{builder.WithSecrets(in.secrets.files)}, in.ssh.options()...)
	caches, err := pipeline.CacheOptions(in.cacheFrom, in.cacheTo, publish.WithInsecureRegistries(insecure...))
	if err != nil {
		return nil, usageErrorf("--cache-from/--cache-to (the action's cache-from/cache-to inputs): %v", err)
	}
	return append(opts, caches...), nil
}

// maskSecrets masks every secret of the flags and inputs for the runner:
// values (secrets, secret-envs, env=VAR) and the contents of files
// (secret-files, src=FILE), each line on its own.
func maskSecrets(gh *actions.Runner, specs []string, values map[string]string, getenv env) error {
	for _, v := range values {
		gh.Mask(v)
	}
	for _, spec := range specs {
		s, err := pipeline.ParseSecret(spec)
		if err != nil {
			continue // refused with its flag's name by secretFiles
		}
		if err := maskSecret(gh, s, "", getenv); err != nil {
			return usageErrorf("secret %s: %v", s.ID, err)
		}
	}
	return nil
}

// maskConfigSecrets masks the values stevedore.yaml's secrets: refer to
// (variables and file contents, src= relative to dir) before the release
// logs its steps.
func maskConfigSecrets(gh *actions.Runner, cfg *pipeline.Config, dir string, getenv env) error {
	for i := range cfg.Images {
		for _, s := range cfg.Secrets(i) {
			if err := maskSecret(gh, s, dir, getenv); err != nil {
				return usageErrorf("stevedore.yaml secrets: secret %s: %v (check its src=)", s.ID, err)
			}
		}
	}
	return nil
}

func maskSecret(gh *actions.Runner, s pipeline.Secret, dir string, getenv env) error {
	if s.Env != "" {
		gh.Mask(getenv(s.Env))
		return nil
	}
	p := s.Src
	if dir != "" && !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	return gh.MaskFile(p)
}

// checkTagsFlag names --tags and --flavor (the action's tags and flavor
// inputs) in a tag rule error.
func checkTagsFlag(rules, flavor string) error {
	var err error
	flag := "--tags (the action's tags input)"
	if strings.TrimSpace(rules) != "" {
		_, err = version.ParseRules(rules)
	}
	if err == nil && strings.TrimSpace(flavor) != "" {
		flag = "--flavor (the action's flavor input)"
		_, err = version.ParseFlavor(flavor)
	}
	var re *version.RuleError
	if errors.As(err, &re) {
		return usageErrorf("%s, line %d: %v", flag, re.Line, re.Err)
	}
	if err != nil {
		return usageErrorf("%s: %v", flag, err)
	}
	return nil
}

// warnUnknownMetadataEnv warns about DOCKER_METADATA_* variables of the
// process environment that nothing reads (a misspelt switch). The names
// come from the process itself: the env lookup cannot list them.
func warnUnknownMetadataEnv(w io.Writer, gh *actions.Runner) {
	var names []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "DOCKER_METADATA_") {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, msg := range version.UnknownMetadataEnv(names) {
		if gh != nil {
			gh.Annotate(actions.Annotation{Level: actions.Warning, Title: "stevedore", Message: msg})
		} else {
			fmt.Fprintf(w, "stevedore: warning: %s\n", msg)
		}
	}
}
