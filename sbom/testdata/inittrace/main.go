// Command inittrace links package sbom and does nothing else, so that
// GODEBUG=inittrace=1 shows what importing it costs at process start.
package main

import (
	"os"

	"github.com/sreevishnu07/stevedore/sbom"
)

func main() {
	if len(os.Args) > 1 {
		_, _ = sbom.ParseFormat(os.Args[1])
	}
}
