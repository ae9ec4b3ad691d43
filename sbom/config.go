package sbom

import (
	"runtime/debug"
	"sync"

	"github.com/anchore/syft/syft"
)

// syftModule and syftVersion name the syft library this package is built
// against. syft reads its version from the binary's build info, which test
// binaries and stripped builds lack; without a fallback their SBOMs would
// say "syft-" and differ from the release binary's. TestSyftVersion keeps the
// constant equal to go.mod.
const (
	syftModule  = "github.com/anchore/syft"
	syftVersion = "v1.57.1"
)

// goProxyDefault is the Go module proxy list syft uses when GOPROXY is unset.
const goProxyDefault = "https://proxy.golang.org,direct"

// createConfig is syft's default image configuration with the values that
// syft derives from the environment replaced by constants.
//
// syft's defaults read GOPROXY, GOPRIVATE, GONOPROXY, GOPATH and the home
// directory and record them in the SBOM (syft JSON's descriptor). They only
// matter for the network and local-cache license lookups, all of which are off
// by default, so fixing them costs nothing and keeps the SBOM of an image
// independent of the machine and user that made it.
func createConfig(o *options) *syft.CreateSBOMConfig {
	c := *defaultCreateConfig()
	cfg := c.WithParallelism(o.parallelism)

	cfg = cfg.WithTool(toolOf(o))

	pk := cfg.Packages
	pk.Golang.LocalModCacheDir = ""
	pk.Golang.Proxies = nil
	pk.Golang.NoProxy = nil
	pk.Golang = pk.Golang.WithProxy(goProxyDefault)
	pk.JavaArchive = pk.JavaArchive.WithMavenLocalRepositoryDir("")
	return cfg.WithPackagesConfig(pk)
}

// defaultCreateConfig is syft's default configuration, made once: making it
// compiles the binary cataloger's hundred-odd version patterns, about a
// tenth of the CPU of a small image's SBOM once the license scanner is
// built. Each Generate takes a shallow copy and sets only its own scalar
// fields and package options (values); what the copies share (compiled
// patterns, task factories) is only read, and regexps are safe for
// concurrent use.
var defaultCreateConfig = sync.OnceValue(syft.DefaultCreateSBOMConfig)

// toolOf is the tool recorded in the documents: WithTool's, else syft.
func toolOf(o *options) (name, version string) {
	if o.toolName == "" {
		return "syft", linkedSyftVersion()
	}
	return o.toolName, o.toolVersion
}

func linkedSyftVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == syftModule && d.Version != "" && d.Version != "(devel)" {
				return d.Version
			}
		}
	}
	return syftVersion
}
