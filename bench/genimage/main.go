// Command genimage writes a random image into an OCI image layout, as input
// for the whole-program benchmarks in bench/. With -count N it writes N
// layouts OUT/img00… whose images share one random base layer of -base-mib
// (hard-linked between the layouts) and each add one layer of -mib.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func main() {
	out := flag.String("o", "", "layout directory to write")
	layers := flag.Int("layers", 4, "number of layers")
	mib := flag.Int64("mib", 64, "size of each layer in MiB")
	count := flag.Int("count", 0, "write this many layouts sharing a base layer")
	baseMiB := flag.Int64("base-mib", 64, "size of the shared base layer in MiB (with -count)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "genimage: -o DIR is required")
		os.Exit(2)
	}
	if *count > 0 {
		if err := shared(*out, *count, *baseMiB<<20, *mib<<20); err != nil {
			fmt.Fprintln(os.Stderr, "genimage:", err)
			os.Exit(1)
		}
		return
	}
	img, err := random.Image(*mib<<20, int64(*layers))
	if err == nil {
		var p layout.Path
		if p, err = layout.Write(*out, empty.Index); err == nil {
			err = p.AppendImage(img)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "genimage:", err)
		os.Exit(1)
	}
}

func shared(out string, n int, baseSize, ownSize int64) error {
	base, err := random.Layer(baseSize, types.OCILayer)
	if err != nil {
		return err
	}
	h, err := base.Digest()
	if err != nil {
		return err
	}
	first := ""
	for i := range n {
		dir := filepath.Join(out, fmt.Sprintf("img%02d", i))
		p, err := layout.Write(dir, empty.Index)
		if err != nil {
			return err
		}
		blob := filepath.Join(dir, "blobs", h.Algorithm, h.Hex)
		if first == "" {
			rc, err := base.Compressed()
			if err != nil {
				return err
			}
			err = p.WriteBlob(h, rc)
			rc.Close()
			if err != nil {
				return err
			}
			first = blob
		} else {
			if err := os.MkdirAll(filepath.Dir(blob), 0o755); err != nil {
				return err
			}
			if err := os.Link(first, blob); err != nil {
				return err
			}
		}
		own, err := random.Layer(ownSize, types.OCILayer)
		if err != nil {
			return err
		}
		img, err := mutate.AppendLayers(empty.Image, base, own)
		if err != nil {
			return err
		}
		if err := p.AppendImage(img); err != nil {
			return err
		}
	}
	return nil
}
