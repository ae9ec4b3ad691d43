package pipeline

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/publish"
)

// Build secrets and shared caches: stevedore.yaml's secrets:, cache-from:
// and cache-to:, at the top level and per image, in buildx's syntax.

// Secret is a build secret for RUN --mount=type=secret,id=ID, named by
// reference only: an environment variable (Env) or a file (Src). Its value
// is never part of the configuration.
type Secret struct {
	ID  string
	Env string
	Src string
}

// errInlineSecret is the one message for anything that could be a secret
// value written into the file: it never quotes the entry.
var errInlineSecret = errors.New("a secret's value never goes in the configuration: write id=ID,env=VAR (a variable of the environment) or id=ID,src=FILE")

// ParseSecret reads buildx's secret syntax: id=ID,env=VAR or id=ID,src=FILE
// (source= and type=env|file as buildx also takes). Errors never quote a
// value.
func ParseSecret(spec string) (Secret, error) {
	var s Secret
	typ := ""
	for _, kv := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return Secret{}, errInlineSecret
		}
		switch strings.ToLower(k) {
		case "id":
			s.ID = v
		case "env":
			s.Env = v
		case "src", "source":
			s.Src = v
		case "type":
			typ = v
		default:
			return Secret{}, fmt.Errorf("unknown secret attribute %q: %w", k, errInlineSecret)
		}
	}
	switch {
	case typ != "" && typ != "env" && typ != "file":
		return Secret{}, fmt.Errorf("secret type %q: want type=env or type=file", typ)
	case s.Env == "" && s.Src == "" && s.ID != "" && typ == "env":
		s.Env = s.ID // buildx: id=X,type=env reads $X
	}
	if s.ID == "" {
		return Secret{}, errors.New("a secret needs id=ID (the id of RUN --mount=type=secret,id=ID)")
	}
	if (s.Env == "") == (s.Src == "") {
		return Secret{}, fmt.Errorf("secret %s: give exactly one of env=VAR or src=FILE", s.ID)
	}
	return s, nil
}

// checkSecretNodes checks every secrets: list before ${NAME} is expanded:
// expansion would copy a value into the configuration (and into error
// messages), so a secret names its variable with env=VAR instead.
func checkSecretNodes(file string, root *yaml.Node) error {
	check := func(n *yaml.Node, key string) error {
		if n == nil {
			return nil
		}
		if n.Kind != yaml.SequenceNode {
			return configError(file, n.Line, n.Column, key, "%s must be a list of id=ID,env=VAR or id=ID,src=FILE", key)
		}
		for i, e := range n.Content {
			k := fmt.Sprintf("%s[%d]", key, i)
			if e.Kind != yaml.ScalarNode {
				return configError(file, e.Line, e.Column, k, "%s must be a string: id=ID,env=VAR or id=ID,src=FILE", k)
			}
			if strings.Contains(e.Value, "${") {
				return configError(file, e.Line, e.Column, k, "%s: ${…} would copy the value into the configuration; name the variable instead: id=ID,env=VAR", k)
			}
			if _, err := ParseSecret(e.Value); err != nil {
				return configError(file, e.Line, e.Column, k, "%s: %v", k, err)
			}
		}
		return nil
	}
	if err := check(nodeAt(root, "secrets"), "secrets"); err != nil {
		return err
	}
	if imgs := nodeAt(root, "images"); imgs != nil && imgs.Kind == yaml.SequenceNode {
		for i := range imgs.Content {
			if err := check(nodeAt(root, "images", fmt.Sprint(i), "secrets"), fmt.Sprintf("images[%d].secrets", i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkCaches checks cache-from: and cache-to: under path ("" for the top
// level, else images[i]).
func checkCaches(file string, root *yaml.Node, from []string, to string, path ...string) error {
	key := func(k string) string {
		if len(path) == 2 {
			return fmt.Sprintf("%s[%s].%s", path[0], path[1], k)
		}
		return k
	}
	for i, spec := range from {
		if err := checkCache(spec, false); err != nil {
			k := fmt.Sprintf("%s[%d]", key("cache-from"), i)
			return configError(file, lineOf(root, append(append([]string{}, path...), "cache-from", fmt.Sprint(i))...), 0, k, "%s: %v", k, err)
		}
	}
	if to != "" {
		if err := checkCache(to, true); err != nil {
			return configError(file, lineOf(root, append(append([]string{}, path...), "cache-to")...), 0, key("cache-to"), "%s: %v", key("cache-to"), err)
		}
	}
	return nil
}

func checkCache(spec string, export bool) error {
	c, err := builder.ParseCache(spec, export)
	if err != nil || c.Ref == "" {
		return err
	}
	ref, err := publish.ParseReference(c.Ref)
	if err != nil {
		return err
	}
	if ref.IsLayout() {
		return fmt.Errorf("%s is an image layout, not a cache: write type=local,%s=DIR for a cache directory", c.Ref, map[bool]string{false: "src", true: "dest"}[export])
	}
	return nil
}

// CacheOptions turns cache-from and cache-to values (buildx's syntax) into
// build options; registry references are read with pub's settings
// (insecure registries).
func CacheOptions(from []string, to string, pub ...publish.Option) ([]builder.Option, error) {
	var opts []builder.Option
	add := func(spec string, export bool) error {
		if err := checkCache(spec, export); err != nil {
			return fmt.Errorf("cache %q: %w", builder.RedactCacheSpec(spec), err)
		}
		c, _ := builder.ParseCache(spec, export)
		if c.GHA != nil {
			if export {
				opts = append(opts, builder.WithGHACacheTo(*c.GHA))
			} else {
				opts = append(opts, builder.WithGHACacheFrom(*c.GHA))
			}
			return nil
		}
		if c.Dir != "" {
			if export {
				opts = append(opts, builder.WithLocalCacheTo(c.Dir))
			} else {
				opts = append(opts, builder.WithLocalCacheFrom(c.Dir))
			}
			return nil
		}
		ref, err := publish.ParseReference(c.Ref, pub...)
		if err != nil {
			return fmt.Errorf("cache %q: %w", builder.RedactCacheSpec(spec), err)
		}
		if export {
			opts = append(opts, builder.WithCacheTo(ref.Registry()))
		} else {
			opts = append(opts, builder.WithCacheFrom(ref.Registry()))
		}
		return nil
	}
	for _, s := range from {
		if err := add(s, false); err != nil {
			return nil, err
		}
	}
	if to != "" {
		if err := add(to, true); err != nil {
			return nil, err
		}
	}
	return opts, nil
}

// Secrets are the build secrets of image i: the top-level ones and the
// image's own (which win on the same id).
func (c *Config) Secrets(i int) []Secret {
	byID := map[string]Secret{}
	var order []string
	for _, spec := range append(append([]string{}, c.SecretSpecs...), c.Images[i].SecretSpecs...) {
		s, err := ParseSecret(spec)
		if err != nil {
			continue // refused when the file was read
		}
		if _, ok := byID[s.ID]; !ok {
			order = append(order, s.ID)
		}
		byID[s.ID] = s
	}
	out := make([]Secret, 0, len(order))
	for _, id := range order {
		out = append(out, byID[id])
	}
	return out
}

// caches are image i's cache-from (the top-level ones, then its own) and
// cache-to (its own, else the top-level one).
func (c *Config) caches(i int) (from []string, to string) {
	img := c.Images[i]
	if to = img.CacheTo; to == "" {
		to = c.CacheTo
	}
	return append(append([]string{}, c.CacheFrom...), img.CacheFrom...), to
}

// imageBuildInputs are the build options stevedore.yaml gives image i:
// its secrets (files; variables are written to private files removed by
// cleanup) and its caches. The command line's options come after these
// and win.
func (r *releaser) imageBuildInputs(i int) (opts []builder.Option, cleanup func(), err error) {
	img := r.cfg.Images[i]
	key := fmt.Sprintf("images[%d] (%s)", i, img.Name)
	cleanup = func() {}
	files := map[string]string{}
	var tmp string
	for _, s := range r.cfg.Secrets(i) {
		p, v, err := r.resolveSecret(key, s)
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		if p != "" {
			files[s.ID] = p
			continue
		}
		if tmp == "" {
			if tmp, err = os.MkdirTemp("", "stevedore-secrets-"); err != nil {
				return nil, nil, fmt.Errorf("writing secret %s: %w", s.ID, err)
			}
			dir := tmp
			cleanup = func() { os.RemoveAll(dir) }
		}
		p = filepath.Join(tmp, fmt.Sprint(len(files)))
		if err := os.WriteFile(p, []byte(v), 0o600); err != nil {
			cleanup()
			return nil, nil, fmt.Errorf("writing secret %s: %w", s.ID, err)
		}
		files[s.ID] = p
	}
	if len(files) > 0 {
		opts = append(opts, builder.WithSecrets(maps.Clone(files)))
	}
	from, to := r.cfg.caches(i)
	caches, err := CacheOptions(from, to, r.o.publish...)
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("%s: %w", key, err)
	}
	return append(opts, caches...), cleanup, nil
}

// resolveSecret is where a secret of stevedore.yaml is: a file, or else a
// value from the environment.
func (r *releaser) resolveSecret(key string, s Secret) (file, value string, err error) {
	if s.Src != "" {
		p := r.path(s.Src)
		if _, err := os.Stat(p); err != nil {
			return "", "", fmt.Errorf("reading secret %s of %s: %w (check src= in stevedore.yaml's secrets:)", s.ID, key, err)
		}
		return p, "", nil
	}
	v, ok := "", false
	if r.o.secretEnv != nil {
		v, ok = r.o.secretEnv(s.Env)
	}
	if !ok {
		return "", "", fmt.Errorf("reading secret %s of %s: the environment variable %s is not set (stevedore.yaml's secrets: says env=%s)", s.ID, key, s.Env, s.Env)
	}
	return "", v, nil
}

// planBuildInputs checks in the plan step, before anything is built, that
// every secret of stevedore.yaml can be read and every cache parses.
func (r *releaser) planBuildInputs() error {
	for i, img := range r.cfg.Images {
		key := fmt.Sprintf("images[%d] (%s)", i, img.Name)
		for _, s := range r.cfg.Secrets(i) {
			if _, _, err := r.resolveSecret(key, s); err != nil {
				return err
			}
		}
		from, to := r.cfg.caches(i)
		if _, err := CacheOptions(from, to, r.o.publish...); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	return nil
}

// WithSecretEnv resolves env=VAR build secrets of stevedore.yaml (the CLI
// passes the environment). Without it such a secret is an error.
func WithSecretEnv(lookup func(string) (string, bool)) Option {
	return func(o *options) { o.secretEnv = lookup }
}
