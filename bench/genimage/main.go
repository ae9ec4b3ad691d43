// Command genimage writes a random image into an OCI image layout, as input
// for the whole-program benchmarks in bench/.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"
)

func main() {
	out := flag.String("o", "", "layout directory to write")
	layers := flag.Int("layers", 4, "number of layers")
	mib := flag.Int64("mib", 64, "size of each layer in MiB")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "genimage: -o DIR is required")
		os.Exit(2)
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
