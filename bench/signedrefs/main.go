// Command signedrefs pushes N small images to a registry, signs each with a
// new key (in the legacy format, the bundle format or both), and writes a
// deploy file pinning all N, as input for bench/pin-verify.sh:
// OUT/deploy.yaml, OUT/refs.txt (one REF@DIGEST a line), OUT/cosign.pub
// and OUT/cosign.key (password "").
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/sign"
)

func main() {
	reg := flag.String("registry", "", "registry host:port to push to")
	n := flag.Int("n", 100, "number of images")
	out := flag.String("o", "", "directory to write deploy.yaml, refs.txt and the key pair into")
	format := flag.String("format", "both", "signature format: legacy, bundle or both")
	flag.Parse()
	if *reg == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "signedrefs: -registry HOST and -o DIR are required")
		os.Exit(2)
	}
	if err := run(context.Background(), *reg, *n, *out, *format); err != nil {
		fmt.Fprintln(os.Stderr, "signedrefs:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, reg string, n int, out, format string) error {
	legacy, bundle := format != "bundle", format != "legacy"
	if format != "legacy" && format != "bundle" && format != "both" {
		return fmt.Errorf("-format %q: want legacy, bundle or both", format)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	priv, pub, err := sign.GenerateKeys(nil)
	if err != nil {
		return err
	}
	for f, data := range map[string][]byte{"cosign.key": priv, "cosign.pub": pub} {
		if err := os.WriteFile(filepath.Join(out, f), data, 0o600); err != nil {
			return err
		}
	}
	s, err := sign.LoadSigner(priv, nil)
	if err != nil {
		return err
	}
	var deploy, refs strings.Builder
	deploy.WriteString("apiVersion: v1\nkind: Pod\nmetadata:\n  name: many\nspec:\n  containers:\n")
	for i := range n {
		img, err := random.Image(512, 1)
		if err != nil {
			return err
		}
		tag, err := name.NewTag(fmt.Sprintf("%s/pin/app%03d:v1", reg, i))
		if err != nil {
			return err
		}
		if err := remote.Write(tag, img); err != nil {
			return fmt.Errorf("pushing %s: %w", tag, err)
		}
		h, err := img.Digest()
		if err != nil {
			return err
		}
		d := tag.Context().Digest(h.String())
		if legacy {
			if _, err := sign.Sign(ctx, d, s, sign.WithTlogUpload(false)); err != nil {
				return err
			}
		}
		if bundle {
			if _, err := sign.SignBundle(ctx, d, s); err != nil {
				return err
			}
		}
		fmt.Fprintf(&deploy, "    - name: app%03d\n      image: %s@%s\n", i, tag, h)
		fmt.Fprintf(&refs, "%s\n", d)
	}
	if err := os.WriteFile(filepath.Join(out, "deploy.yaml"), []byte(deploy.String()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "refs.txt"), []byte(refs.String()), 0o644)
}
