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

	"github.com/sreevishnu07/stevedore/internal/signedrefs"
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
	f, err := signedrefs.Make(ctx, reg, n, format)
	if err != nil {
		return err
	}
	var refs strings.Builder
	for _, d := range f.Refs {
		fmt.Fprintln(&refs, d)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for name, data := range map[string][]byte{"cosign.key": f.Priv, "cosign.pub": f.Pub, "deploy.yaml": f.Deploy, "refs.txt": []byte(refs.String())} {
		if err := os.WriteFile(filepath.Join(out, name), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}
