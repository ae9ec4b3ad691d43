package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/sreevishnu07/stevedore/actions"
	"github.com/sreevishnu07/stevedore/pipeline"
	"github.com/sreevishnu07/stevedore/publish"
)

// imageFlags describe one image without a configuration file, so the
// GitHub Action (and a quick local release) needs no stevedore.yaml. They
// are refused next to a configuration: two sources of truth for the same
// image would silently disagree.
func imageFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "image-name", Value: "image", Usage: "name of the image in the ledger and output, and of the default layout oci:dist/NAME (no configuration file only)"},
		&cli.StringFlag{Name: "context", Usage: "build context, relative to --dir (default .; no configuration file only)"},
		&cli.StringFlag{Name: "file", Aliases: []string{"f"}, Usage: "Dockerfile, relative to --dir (default CONTEXT/Dockerfile; no configuration file only)"},
		&cli.StringSliceFlag{Name: "destination", Usage: "where to push, repeatable: a registry repository (ghcr.io/o/app) or oci:PATH, or metadata-action's name=REPO,enable=true|false (default oci:dist/NAME; no configuration file only)"},
		&cli.StringSliceFlag{Name: "tag-rule", Usage: "tag `RULES` in metadata-action syntax, one per line, evaluated against git (repeatable; no configuration file only)"},
		&cli.StringSliceFlag{Name: "flavor", Usage: "metadata-action flavor lines: latest=auto|true|false, prefix=, suffix= (repeatable; no configuration file only)"},
		&cli.StringSliceFlag{Name: "platform", Usage: "platforms, repeatable or comma-separated: linux/amd64,linux/arm64 (default: this machine's; no configuration file only)"},
		&cli.StringFlag{Name: "sign", Usage: "how to sign: key (--key, else the local key under .stevedore/), keyless (an OIDC token from GitHub Actions or $SIGSTORE_ID_TOKEN) or none. Default: keyless in GitHub Actions with `permissions: id-token: write`, --key when given, refused in other CI, else the local key"},
		&cli.StringFlag{Name: "key", Usage: "cosign private key: a file, env://VAR or a KMS URI; its password comes from $COSIGN_PASSWORD (no configuration file only)"},
		&cli.StringFlag{Name: "certificate-identity", Usage: "keyless: the signer identity verification requires (default in Actions: https://github.com/$GITHUB_WORKFLOW_REF)"},
		&cli.StringFlag{Name: "certificate-oidc-issuer", Usage: "keyless: the OIDC issuer verification requires (default in Actions: " + pipeline.GitHubOIDCIssuer + ")"},
		&cli.BoolFlag{Name: "push", Value: true, Usage: "--push=false skips registry destinations: only oci: layouts are written (no configuration file only)"},
	}
}

// flagConfig is the configuration the image flags describe: nil when
// none of them is set (the embedded default applies).
func flagConfig(c *cli.Context, getenv env, log func(string)) (*pipeline.Config, error) {
	set := setImageFlags(c)
	images, err := actionImages(c, getenv)
	if err != nil {
		return nil, err
	}
	if len(set) == 0 && images == nil {
		return nil, nil
	}
	name := c.String("image-name")
	if name == "" || strings.ContainsAny(name, "/: \t\n") {
		return nil, usageErrorf("--image-name %q: want a plain name such as app", name)
	}
	img := pipeline.Image{Name: name, Context: c.String("context"), Dockerfile: c.String("file")}
	if img.Dockerfile != "" && img.Context == "" {
		img.Context = "."
	}
	for _, p := range c.StringSlice("platform") {
		for _, s := range strings.Split(p, ",") {
			if s = strings.TrimSpace(s); s != "" {
				img.Platforms = append(img.Platforms, s)
			}
		}
	}
	if _, err := platforms(img.Platforms); err != nil {
		return nil, err
	}
	// --destination also reads metadata-action's name=REPO,enable=BOOL, as
	// destinations: in stevedore.yaml does.
	entries, err := pipeline.ParseImages(splitLines(c.StringSlice("destination")))
	if err != nil {
		return nil, usageErrorf("--destination %v", err)
	}
	for _, src := range []struct {
		what  string
		names []string
	}{{"--destination", pipeline.EnabledImages(entries)}, {"input images", images}} {
		for _, d := range src.names {
			if _, err := publish.ParseReference(d); err != nil {
				return nil, usageErrorf("%s: %v", src.what, err)
			}
			img.Destinations = append(img.Destinations, d)
		}
	}
	if !c.Bool("push") {
		var layouts, skipped []string
		for _, d := range img.Destinations {
			if strings.HasPrefix(d, "oci:") {
				layouts = append(layouts, d)
			} else {
				skipped = append(skipped, d)
			}
		}
		if len(skipped) > 0 {
			msg := fmt.Sprintf("--push=false: not pushing to %s", strings.Join(skipped, ", "))
			if len(layouts) == 0 {
				msg += "; writing oci:dist/" + name + " instead"
			}
			log(msg)
		}
		img.Destinations = layouts
	}
	sg, err := flagSigning(c.String("sign"), c.String("key"), c.String("certificate-identity"), c.String("certificate-oidc-issuer"))
	if err != nil {
		return nil, err
	}
	cfg := pipeline.DefaultConfig()
	cfg.Images = []pipeline.Image{img}
	cfg.Tags = strings.Join(c.StringSlice("tag-rule"), "\n")
	cfg.Flavor = strings.Join(c.StringSlice("flavor"), "\n")
	if err := checkTagsFlag(cfg.Tags, cfg.Flavor); err != nil {
		return nil, err
	}
	cfg.Sign = sg
	return cfg, nil
}

// flagSigning turns --sign, --key and the certificate flags into Signing;
// which signer an unset --sign means is the release's signing policy
// (pipeline.SigningEnv), not decided here.
func flagSigning(mode, key, identity, issuer string) (pipeline.Signing, error) {
	if mode != "keyless" && (identity != "" || issuer != "") {
		return pipeline.Signing{}, usageErrorf("--certificate-identity and --certificate-oidc-issuer apply to --sign keyless only (got --sign %s)", mode)
	}
	if mode != "key" && mode != "" && key != "" {
		return pipeline.Signing{}, usageErrorf("--key applies to --sign key only (got --sign %s)", mode)
	}
	switch mode {
	case "":
		return pipeline.Signing{Key: key}, nil
	case "key":
		return pipeline.Signing{Key: key, Local: key == ""}, nil
	case "none":
		return pipeline.Signing{Disabled: true}, nil
	case "keyless":
		return pipeline.Signing{Keyless: true, Identity: identity, Issuer: issuer}, nil
	}
	return pipeline.Signing{}, usageErrorf("--sign %q: want key, keyless or none", mode)
}

// setImageFlags names the image flags given on the command line.
func setImageFlags(c *cli.Context) []string {
	var set []string
	for _, f := range imageFlags() {
		n := f.Names()[0]
		if c.IsSet(n) {
			set = append(set, "--"+n)
		}
	}
	return set
}

// releaseConfigFlags is releaseConfig with the image flags: a configuration
// file (--config or DIR/stevedore.yaml) and image flags exclude each other.
func releaseConfigFlags(c *cli.Context, getenv env) (*pipeline.Config, error) {
	path, dir := c.String("config"), c.String("dir")
	file := path
	if file == "" {
		if p := filepath.Join(dir, pipeline.DefaultConfigFile); fileExists(p) {
			file = p
		}
	}
	var describing []string
	for _, f := range setImageFlags(c) {
		if !slices.Contains(runSwitches, f) {
			describing = append(describing, f)
		}
	}
	if c.Bool("action-inputs") && strings.TrimSpace(getenv("INPUT_IMAGES")) != "" {
		describing = append(describing, "the input images")
	}
	if file != "" && len(describing) > 0 {
		return nil, usageErrorf("%s conflicts with the configuration %s: it describes the images and destinations; set them there, or remove the file to use flags", strings.Join(describing, ", "), file)
	}
	log := func(s string) { fmt.Fprintf(c.App.ErrWriter, "stevedore: %s\n", s) }
	cfg, err := func() (*pipeline.Config, error) {
		if file == "" {
			cfg, err := flagConfig(c, getenv, log)
			if err != nil || cfg != nil {
				return cfg, err
			}
		}
		cfg, err := releaseConfig(path, dir, getenv)
		if err != nil || file == "" {
			return cfg, err
		}
		return applySwitches(c, cfg, getenv, log)
	}()
	if err == nil {
		trustFlags(c, cfg)
	}
	if err != nil || !c.IsSet("format") {
		return cfg, err
	}
	// --format overrides every image's signature format.
	cfg.Sign.Format = c.String("format")
	for i := range cfg.Images {
		if s := cfg.Images[i].Sign; s != nil {
			s.Format = cfg.Sign.Format
		}
	}
	return cfg, nil
}

// runSwitches are the image flags that say how to run rather than what to
// release, so they compose with a configuration file and override it (the
// action's push: ${{ github.event_name != 'pull_request' }}).
var runSwitches = []string{"--push", "--sign", "--key", "--certificate-identity", "--certificate-oidc-issuer"}

// applySwitches overrides the configuration with the run-time switches set
// on the command line.
func applySwitches(c *cli.Context, cfg *pipeline.Config, getenv env, log func(string)) (*pipeline.Config, error) {
	if c.IsSet("push") && !c.Bool("push") {
		for i := range cfg.Images {
			var layouts, skipped []string
			for _, d := range cfg.Images[i].Destinations {
				if strings.HasPrefix(d, "oci:") {
					layouts = append(layouts, d)
				} else {
					skipped = append(skipped, d)
				}
			}
			if len(skipped) > 0 {
				log(fmt.Sprintf("--push=false: image %s: not pushing to %s", cfg.Images[i].Name, strings.Join(skipped, ", ")))
			}
			cfg.Images[i].Destinations = layouts
		}
	}
	if c.IsSet("sign") || c.IsSet("key") || c.IsSet("certificate-identity") || c.IsSet("certificate-oidc-issuer") {
		mode := c.String("sign")
		if !c.IsSet("sign") && !c.IsSet("key") {
			mode = "keyless" // only the certificate flags: they apply to keyless
		}
		sg, err := flagSigning(mode, c.String("key"), c.String("certificate-identity"), c.String("certificate-oidc-issuer"))
		if err != nil {
			return nil, err
		}
		sg.Format = cfg.Sign.Format
		cfg.Sign = sg
		for i := range cfg.Images {
			cfg.Images[i].Sign = nil // the switch overrides every image's signing
		}
	}
	return cfg, nil
}

// splitLines lets one flag value carry several lines (an Action input).
func splitLines(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, l := range strings.Split(v, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
	}
	return out
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// actionImages are the enabled repositories of the action's images input
// (metadata-action's name=…,enable=… lines); nil when it is empty.
func actionImages(c *cli.Context, getenv env) ([]string, error) {
	if !c.Bool("action-inputs") || strings.TrimSpace(getenv("INPUT_IMAGES")) == "" {
		return nil, nil
	}
	images, err := actions.Images(getenv("INPUT_IMAGES"))
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	if images == nil {
		images = []string{} // every image disabled: still the action's image
	}
	return images, nil
}
