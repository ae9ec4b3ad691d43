package main

import (
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/sreevishnu07/stevedore/pipeline"
)

func signingConfigFlag() cli.Flag {
	return &cli.StringFlag{Name: "signing-config", Usage: "Sigstore signing_config.json `FILE`: sign keyless through the Fulcio, Rekor (v1 or v2) and timestamp authority it names (a private Sigstore; `cosign signing-config create` writes one); implies keyless and the bundle format"}
}

// trustFlags applies release's --signing-config and --trusted-root over
// every image's signing configuration. They name files from the current
// directory (stevedore.yaml's name them from --dir).
func trustFlags(c *cli.Context, cfg *pipeline.Config) {
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	set := func(s *pipeline.Signing) {
		if v := c.String("signing-config"); v != "" {
			s.SigningConfig = abs(v)
		}
		if v := c.String("trusted-root"); v != "" {
			s.TrustedRoot = abs(v)
		}
	}
	set(&cfg.Sign)
	for i := range cfg.Images {
		if s := cfg.Images[i].Sign; s != nil {
			set(s)
		}
	}
}
