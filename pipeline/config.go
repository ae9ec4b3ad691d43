// Package pipeline owns the release: stevedore.yaml, the release
// transaction as an ordered list of steps, and the ledger it writes.
package pipeline

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sreevishnu07/stevedore/builder/buildkit"
	"github.com/sreevishnu07/stevedore/internal/suggest"
	"github.com/sreevishnu07/stevedore/version"
)

// DefaultConfigFile is where stevedore looks for its configuration.
const DefaultConfigFile = "stevedore.yaml"

// ErrConfig marks errors in stevedore.yaml; they name the file and line.
var ErrConfig = errors.New("invalid configuration")

// Config is stevedore.yaml. Image fields left empty take the top-level
// defaults.
type Config struct {
	// Version of the file format; 1.
	Version int `yaml:"version" json:"version"`
	// TagPrefix of version tags in git ("v", or "app/v" in a monorepo).
	TagPrefix string `yaml:"tag-prefix" json:"tag-prefix"`
	// Prerelease identifier, e.g. "rc" for 1.3.0-rc.1.
	Prerelease string `yaml:"prerelease" json:"prerelease"`
	// Tags and Flavor are docker/metadata-action's tag rules and flavor,
	// for every image that has none of its own.
	Tags   string `yaml:"tags" json:"tags"`
	Flavor string `yaml:"flavor" json:"flavor"`
	// SBOM formats for every image: spdx-json, cyclonedx-json, syft-json.
	SBOM []string `yaml:"sbom" json:"sbom"`
	// Sign is how every image is signed.
	Sign Signing `yaml:"sign" json:"sign"`
	// Images to release.
	Images []Image `yaml:"images" json:"images"`
	// Pin lists deploy files (paths or globs) rewritten to the released
	// digests after the release.
	Pin []string `yaml:"pin" json:"pin"`
	// Ledger is where the release record is written (dist/release.json).
	Ledger string `yaml:"ledger" json:"ledger"`
	// AllowDirty releases build contexts with uncommitted changes, marked
	// dirty, instead of refusing them (--allow-dirty).
	AllowDirty bool `yaml:"allow-dirty" json:"allow-dirty"`
	// Labels and Annotations add to (or override) the
	// org.opencontainers.image.* keys every image gets.
	Labels      map[string]string `yaml:"labels" json:"labels"`
	Annotations map[string]string `yaml:"annotations" json:"annotations"`
	// Builder builds every image without its own: "embedded" (the
	// default) or a BuildKit daemon, unix://, tcp://, docker-container://
	// or kube-pod://. BuilderTLS holds the mTLS files for tcp://.
	Builder    string      `yaml:"builder" json:"builder"`
	BuilderTLS *BuilderTLS `yaml:"builder-tls" json:"builder-tls"`
	// SecretSpecs are build secrets of every image, by reference only:
	// id=ID,env=VAR or id=ID,src=FILE (buildx's syntax).
	SecretSpecs []string `yaml:"secrets" json:"secrets"`
	// CacheFrom and CacheTo are shared build caches of every image:
	// REF, type=registry,ref=REF, type=local,src=DIR / dest=DIR.
	CacheFrom []string `yaml:"cache-from" json:"cache-from"`
	CacheTo   string   `yaml:"cache-to" json:"cache-to"`
}

// BuilderTLS are the files for mutual TLS with a tcp:// BuildKit daemon.
type BuilderTLS struct {
	CA         string `yaml:"ca" json:"ca"`
	Cert       string `yaml:"cert" json:"cert"`
	Key        string `yaml:"key" json:"key"`
	ServerName string `yaml:"server-name" json:"server-name"`
}

// Image is one image of the release.
type Image struct {
	// Name identifies the image in the ledger and in output.
	Name       string            `yaml:"name" json:"name"`
	Context    string            `yaml:"context" json:"context"`
	Dockerfile string            `yaml:"dockerfile" json:"dockerfile"`
	Target     string            `yaml:"target" json:"target"`
	Platforms  []string          `yaml:"platforms" json:"platforms"`
	BuildArgs  map[string]string `yaml:"build-args" json:"build-args"`
	// Labels and Annotations of this image, over the top-level ones.
	Labels      map[string]string `yaml:"labels" json:"labels"`
	Annotations map[string]string `yaml:"annotations" json:"annotations"`
	// Destinations: registry references without tag (ghcr.io/o/app) or
	// oci: layouts. Tags come from the tag rules.
	Destinations []string `yaml:"destinations" json:"destinations"`
	Tags         string   `yaml:"tags" json:"tags"`
	Flavor       string   `yaml:"flavor" json:"flavor"`
	SBOM         []string `yaml:"sbom" json:"sbom"`
	Sign         *Signing `yaml:"sign" json:"sign"`
	// Builder overrides the top-level builder for this image.
	Builder string `yaml:"builder" json:"builder"`
	// PlatformBuilders builds some platforms elsewhere (a native arm64
	// daemon next to an amd64 one); the platforms are merged into one index.
	PlatformBuilders map[string]string `yaml:"platform-builders" json:"platform-builders"`
	// SecretSpecs, CacheFrom and CacheTo of this image: secrets add to the
	// top-level ones (the image's win on the same id), cache-from adds,
	// cache-to replaces.
	SecretSpecs []string `yaml:"secrets" json:"secrets"`
	CacheFrom   []string `yaml:"cache-from" json:"cache-from"`
	CacheTo     string   `yaml:"cache-to" json:"cache-to"`
}

// Signing says how to sign and who the signer must be when verifying.
type Signing struct {
	// Key is a cosign private key file, env://VAR, or a KMS URI. Empty with
	// Keyless false means the default: keyless in GitHub Actions when the
	// job may request an OIDC token, a refusal in other CI (a key made there
	// is thrown away with the runner), else a key under .stevedore/.
	Key string `yaml:"key" json:"key"`
	// Keyless signs with the workflow's OIDC identity (Fulcio and Rekor).
	Keyless bool `yaml:"keyless" json:"keyless"`
	// Identity and Issuer (or their regexps) are what verification
	// requires of a keyless signature.
	Identity       string `yaml:"identity" json:"identity"`
	IdentityRegexp string `yaml:"identity-regexp" json:"identity-regexp"`
	Issuer         string `yaml:"issuer" json:"issuer"`
	IssuerRegexp   string `yaml:"issuer-regexp" json:"issuer-regexp"`
	// FulcioURL and RekorURL are deprecated (legacy format only): a
	// signing config names a private Sigstore.
	FulcioURL string `yaml:"fulcio-url" json:"fulcio-url"`
	RekorURL  string `yaml:"rekor-url" json:"rekor-url"`
	// SigningConfig is a Sigstore signing_config.json naming the Fulcio,
	// Rekor and timestamp authority keyless signing uses (a private
	// Sigstore); it implies keyless and the bundle format.
	SigningConfig string `yaml:"signing-config" json:"signing-config"`
	// TrustedRoot is the trusted_root.json keyless signatures are verified
	// against (default: the public Sigstore's, through TUF).
	TrustedRoot string `yaml:"trusted-root" json:"trusted-root"`
	// Disabled turns signing off for snapshots or local experiments.
	Disabled bool `yaml:"disabled" json:"disabled"`
	// Format of signatures and attestations in registries: legacy (the
	// .sig/.att tags cosign v2 writes), bundle (Sigstore bundles as OCI
	// referrers, as cosign v3 writes) or both. Default legacy.
	Format string `yaml:"format" json:"format"`
	// Local is the command line's explicit --sign key without --key: the
	// key under .stevedore/, never replaced by keyless signing.
	Local bool `yaml:"-" json:"-"`
}

// Load reads and checks a configuration file. ${NAME} references are
// expanded with lookup (the CLI passes the environment); an unset variable
// is an error, never an empty string.
func Load(path string, lookup func(string) (string, bool)) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return Parse(data, path, lookup)
}

// Parse is Load for bytes already read; file names them in errors.
func Parse(data []byte, file string, lookup func(string) (string, bool)) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(file, err)
	}
	if root.Kind == 0 {
		return nil, configError(file, 0, 0, "", "the file is empty; it needs at least an images: list")
	}
	if err := checkKeys(file, &root, reflect.TypeOf(Config{}), ""); err != nil {
		return nil, err
	}
	if err := checkSecretNodes(file, &root); err != nil {
		return nil, err
	}
	if err := expandNode(file, &root, lookup); err != nil {
		return nil, err
	}
	var c Config
	if err := root.Decode(&c); err != nil {
		if te := typeError(file, &root, reflect.TypeOf(c), ""); te != nil {
			return nil, te
		}
		return nil, yamlError(file, err)
	}
	if err := c.check(file, &root); err != nil {
		return nil, err
	}
	return &c, nil
}

var yamlLineRE = regexp.MustCompile(`line (\d+): `)

// yamlError turns yaml.v3's "yaml: line 3: …" into a ConfigError at line 3.
func yamlError(file string, err error) *ConfigError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	if m := yamlLineRE.FindStringSubmatchIndex(msg); m != nil && m[0] == 0 {
		line, _ := strconv.Atoi(msg[m[2]:m[3]])
		return configError(file, line, 0, "", "%s", msg[m[1]:])
	}
	return configError(file, 0, 0, "", "%s", msg)
}

// checkKeys refuses mapping keys the target type does not have, naming the
// line and the nearest known key: a typo must not silently drop a setting.
func checkKeys(file string, n *yaml.Node, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			if err := checkKeys(file, c, t, path); err != nil {
				return err
			}
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return nil // the decoder reports the wrong type
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := range t.NumField() {
			f := t.Field(i)
			tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if tag != "" && tag != "-" {
				fields[tag] = f.Type
				names = append(names, tag)
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				hint := ""
				if s := suggest.Nearest(k.Value, names); s != "" {
					hint = fmt.Sprintf(" (did you mean %q?)", s)
				}
				where := "at the top level"
				if path != "" {
					where = "in " + path
				}
				return configError(file, k.Line, k.Column, join(path, k.Value), "unknown key %q %s%s", k.Value, where, hint)
			}
			if err := checkKeys(file, v, ft, join(path, k.Value)); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return nil
		}
		for i, c := range n.Content {
			if err := checkKeys(file, c, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var envRefRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandNode replaces ${NAME} in every scalar. Only the braced form is
// expanded, so regexps ending in $ and tag templates stay as written.
func expandNode(file string, n *yaml.Node, lookup func(string) (string, bool)) error {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "${") {
		var missing string
		n.Value = envRefRE.ReplaceAllStringFunc(n.Value, func(ref string) string {
			name := ref[2 : len(ref)-1]
			v, ok := lookup(name)
			if !ok && missing == "" {
				missing = name
			}
			return v
		})
		if missing != "" {
			return configError(file, n.Line, n.Column, "", "${%s} is not set in the environment", missing)
		}
	}
	for _, c := range n.Content {
		if err := expandNode(file, c, lookup); err != nil {
			return err
		}
	}
	return nil
}

// check validates values the YAML types cannot express.
func (c *Config) check(file string, root *yaml.Node) error {
	line := func(path ...string) int { return lineOf(root, path...) }
	if c.Version != 0 && c.Version != 1 {
		return configError(file, line("version"), 0, "version", "version %d is not supported (this stevedore reads version 1)", c.Version)
	}
	if len(c.Images) == 0 {
		return configError(file, 0, 0, "images", "no images: add an images: list with at least one image")
	}
	if _, _, err := c.Sign.formats(); err != nil {
		return configError(file, line("sign", "format"), 0, "sign.format", "sign.format %q: want legacy, bundle or both", c.Sign.Format)
	}
	if err := c.Sign.checkTrust(file, root, "sign", "sign"); err != nil {
		return err
	}
	if err := checkRules(file, root, c.Tags, c.Flavor); err != nil {
		return err
	}
	if _, err := buildkit.ParseAddress(c.Builder); err != nil {
		return configError(file, line("builder"), 0, "builder", "%v", err)
	}
	if err := checkCaches(file, root, c.CacheFrom, c.CacheTo); err != nil {
		return err
	}
	if c.CacheTo != "" && len(c.Images) > 1 {
		return configError(file, line("cache-to"), 0, "cache-to", "cache-to at the top level: each of the %d images would overwrite the one cache; set cache-to: under each image", len(c.Images))
	}
	names := map[string]bool{}
	for i, img := range c.Images {
		if err := checkCaches(file, root, img.CacheFrom, img.CacheTo, "images", fmt.Sprint(i)); err != nil {
			return err
		}
		at, key := line("images", fmt.Sprint(i)), fmt.Sprintf("images[%d]", i)
		if _, err := buildkit.ParseAddress(img.Builder); err != nil {
			return configError(file, line("images", fmt.Sprint(i), "builder"), 0, key+".builder", "%v", err)
		}
		for p, b := range img.PlatformBuilders {
			at := line("images", fmt.Sprint(i), "platform-builders", p)
			if !slices.Contains(img.Platforms, p) {
				return configError(file, at, 0, key+".platform-builders", "platform-builders names %s, which is not in the image's platforms %v", p, img.Platforms)
			}
			if _, err := buildkit.ParseAddress(b); err != nil {
				return configError(file, at, 0, key+".platform-builders", "%v", err)
			}
		}
		if img.Name == "" {
			return configError(file, at, 0, key, "images[%d] has no name", i)
		}
		if names[img.Name] {
			return configError(file, at, 0, key+".name", "image name %q is used twice", img.Name)
		}
		names[img.Name] = true
		if len(img.Destinations) > 0 {
			entries, err := ParseImages(img.Destinations)
			var ie *ImageEntryError
			if errors.As(err, &ie) {
				dk := fmt.Sprintf("%s.destinations[%d]", key, ie.Index)
				return configError(file, line("images", fmt.Sprint(i), "destinations", fmt.Sprint(ie.Index)), 0, dk, "%s: %v", dk, ie.Err)
			}
			// enable=false entries are dropped, as metadata-action drops
			// them from its images.
			c.Images[i].Destinations = EnabledImages(entries)
		}
		if img.Sign != nil {
			if _, _, err := img.Sign.formats(); err != nil {
				return configError(file, line("images", fmt.Sprint(i), "sign", "format"), 0, key+".sign.format", "%s.sign.format %q: want legacy, bundle or both", key, img.Sign.Format)
			}
			if err := img.Sign.checkTrust(file, root, key+".sign", "images", fmt.Sprint(i), "sign"); err != nil {
				return err
			}
		}
		if err := checkRules(file, root, img.Tags, img.Flavor, "images", fmt.Sprint(i)); err != nil {
			return err
		}
		for _, f := range append(append([]string{}, img.SBOM...), c.SBOM...) {
			switch f {
			case "spdx-json", "cyclonedx-json", "syft-json":
			default:
				return configError(file, at, 0, key+".sbom", "sbom format %q: want spdx-json, cyclonedx-json or syft-json", f)
			}
		}
	}
	return nil
}

// checkRules parses the tags: and flavor: under path, so a bad rule is
// reported at its own line of stevedore.yaml rather than as "line N" of the
// rules text.
func checkRules(file string, root *yaml.Node, tags, flavor string, path ...string) error {
	for _, r := range []struct{ key, text string }{{"tags", tags}, {"flavor", flavor}} {
		if strings.TrimSpace(r.text) == "" {
			continue
		}
		var err error
		if r.key == "tags" {
			_, err = version.ParseRules(r.text)
		} else {
			_, err = version.ParseFlavor(r.text)
		}
		if err == nil {
			continue
		}
		key := strings.Join(append(slices.Clone(path), r.key), ".")
		if len(path) == 2 {
			key = fmt.Sprintf("%s[%s].%s", path[0], path[1], r.key)
		}
		n := nodeAt(root, append(slices.Clone(path), r.key)...)
		var re *version.RuleError
		if n == nil || !errors.As(err, &re) {
			return configError(file, lineOf(root, append(slices.Clone(path), r.key)...), 0, key, "%s: %v", key, err)
		}
		line, col := ruleLine(n, re.Line)
		return configError(file, line, col, key, "%s, rule line %d: %v", key, re.Line, re.Err)
	}
	return nil
}

// ruleLine is where line n (from 1) of a scalar's text is in the file: a
// literal block (tags: |) starts on the line after its indicator. Folded
// and flow scalars join their lines, so their own position is the best.
func ruleLine(n *yaml.Node, rule int) (line, col int) {
	switch {
	case n.Style&yaml.LiteralStyle != 0:
		return n.Line + rule, 0
	case n.Style&yaml.FoldedStyle != 0:
		return n.Line + 1, 0
	}
	return n.Line, n.Column
}

// nodeAt is the value node at a key path, nil when absent.
func nodeAt(root *yaml.Node, path ...string) *yaml.Node {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, p := range path {
		switch n.Kind {
		case yaml.MappingNode:
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == p {
					next = n.Content[i+1]
				}
			}
			if next == nil {
				return nil
			}
			n = next
		case yaml.SequenceNode:
			var idx int
			if _, err := fmt.Sscan(p, &idx); err != nil || idx >= len(n.Content) {
				return nil
			}
			n = n.Content[idx]
		default:
			return nil
		}
	}
	return n
}

// lineOf finds the line of a mapping key or sequence index path.
func lineOf(root *yaml.Node, path ...string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, p := range path {
		switch n.Kind {
		case yaml.MappingNode:
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == p {
					line, n, found = n.Content[i].Line, n.Content[i+1], true
					break
				}
			}
			if !found {
				return line
			}
		case yaml.SequenceNode:
			var idx int
			fmt.Sscan(p, &idx)
			if idx >= len(n.Content) {
				return line
			}
			n = n.Content[idx]
			line = n.Line
		default:
			return line
		}
	}
	return line
}

// DefaultConfig is the embedded default used when there is no
// stevedore.yaml: the Dockerfile in the directory, built to oci:dist/image,
// an SPDX SBOM, signed with a local key.
func DefaultConfig() *Config {
	return &Config{
		Version: 1,
		SBOM:    []string{"spdx-json"},
		Images:  []Image{{Name: "image", Destinations: []string{"oci:dist/image"}}},
	}
}
