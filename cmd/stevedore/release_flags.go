package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/sreevishnu07/stevedore/pipeline"
	"github.com/sreevishnu07/stevedore/publish"
)

// GitHub's OIDC issuer: what a keyless signature made in Actions carries.
const githubOIDCIssuer = "https://token.actions.githubusercontent.com"

// imageFlags describe one image without a configuration file, so the
// GitHub Action (and a quick local release) needs no stevedore.yaml. They
// are refused next to a configuration: two sources of truth for the same
// image would silently disagree.
func imageFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "image-name", Value: "image", Usage: "name of the image in the ledger and output, and of the default layout oci:dist/NAME (no configuration file only)"},
		&cli.StringFlag{Name: "context", Usage: "build context, relative to --dir (default .; no configuration file only)"},
		&cli.StringFlag{Name: "file", Aliases: []string{"f"}, Usage: "Dockerfile, relative to --dir (default CONTEXT/Dockerfile; no configuration file only)"},
		&cli.StringSliceFlag{Name: "destination", Usage: "where to push, repeatable: a registry repository (ghcr.io/o/app) or oci:PATH (default oci:dist/NAME; no configuration file only)"},
		&cli.StringSliceFlag{Name: "tags", Usage: "tag rules in metadata-action syntax, one per line (repeatable; no configuration file only)"},
		&cli.StringSliceFlag{Name: "platform", Usage: "platforms, repeatable or comma-separated: linux/amd64,linux/arm64 (default: this machine's; no configuration file only)"},
		&cli.StringFlag{Name: "sign", Value: "key", Usage: "how to sign: key (--key, else the key under .stevedore/), keyless (GitHub OIDC) or none (no configuration file only)"},
		&cli.StringFlag{Name: "key", Usage: "cosign private key: a file, env://VAR or a KMS URI; its password comes from $COSIGN_PASSWORD (no configuration file only)"},
		&cli.StringFlag{Name: "certificate-identity", Usage: "keyless: the signer identity verification requires (default in Actions: https://github.com/$GITHUB_WORKFLOW_REF)"},
		&cli.StringFlag{Name: "certificate-oidc-issuer", Usage: "keyless: the OIDC issuer verification requires (default in Actions: " + githubOIDCIssuer + ")"},
		&cli.BoolFlag{Name: "push", Value: true, Usage: "--push=false skips registry destinations: only oci: layouts are written (no configuration file only)"},
	}
}

// flagConfig is the configuration the image flags describe: nil when
// none of them is set (the embedded default applies).
func flagConfig(c *cli.Context, getenv env, log func(string)) (*pipeline.Config, error) {
	set := setImageFlags(c)
	if len(set) == 0 {
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
	for _, d := range splitLines(c.StringSlice("destination")) {
		if _, err := publish.ParseReference(d); err != nil {
			return nil, usageErrorf("--destination: %v", err)
		}
		img.Destinations = append(img.Destinations, d)
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
	sg, err := flagSigning(c.String("sign"), c.String("key"), c.String("certificate-identity"), c.String("certificate-oidc-issuer"), getenv)
	if err != nil {
		return nil, err
	}
	cfg := pipeline.DefaultConfig()
	cfg.Images = []pipeline.Image{img}
	cfg.Tags = strings.Join(c.StringSlice("tags"), "\n")
	cfg.Sign = sg
	return cfg, nil
}

// flagSigning turns --sign, --key and the certificate flags into Signing.
func flagSigning(mode, key, identity, issuer string, getenv env) (pipeline.Signing, error) {
	if mode != "keyless" && (identity != "" || issuer != "") {
		return pipeline.Signing{}, usageErrorf("--certificate-identity and --certificate-oidc-issuer apply to --sign keyless only (got --sign %s)", mode)
	}
	if mode != "key" && key != "" {
		return pipeline.Signing{}, usageErrorf("--key applies to --sign key only (got --sign %s)", mode)
	}
	switch mode {
	case "key":
		return pipeline.Signing{Key: key}, nil
	case "none":
		return pipeline.Signing{Disabled: true}, nil
	case "keyless":
		if getenv("GITHUB_ACTIONS") == "true" {
			if identity == "" && getenv("GITHUB_WORKFLOW_REF") != "" {
				server := strings.TrimRight(getenv("GITHUB_SERVER_URL"), "/")
				if server == "" {
					server = "https://github.com"
				}
				identity = server + "/" + getenv("GITHUB_WORKFLOW_REF")
			}
			if issuer == "" {
				issuer = githubOIDCIssuer
			}
		}
		if identity == "" || issuer == "" {
			return pipeline.Signing{}, usageErrorf("--sign keyless: verification needs --certificate-identity and --certificate-oidc-issuer (they default to the workflow's identity only inside GitHub Actions)")
		}
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
	if set := setImageFlags(c); file != "" && len(set) > 0 {
		return nil, usageErrorf("%s conflicts with the configuration %s: it describes the images, signing and destinations; set them there, or remove the file to use flags", strings.Join(set, ", "), file)
	}
	if file == "" {
		cfg, err := flagConfig(c, getenv, func(s string) { fmt.Fprintf(c.App.ErrWriter, "stevedore: %s\n", s) })
		if err != nil || cfg != nil {
			return cfg, err
		}
	}
	return releaseConfig(path, dir, getenv)
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
