package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// Stamped at link time by the release build (.ci/dist.sh):
//
//	-ldflags "-X main.buildVersion=1.2.3 -X main.buildCommit=SHA -X main.buildDate=RFC3339"
//
// A `go install …@vX.Y.Z` build has none of them; buildInfo then reads the
// module version and the VCS stamp Go embeds itself.
var (
	buildVersion = "dev"
	buildCommit  = ""
	buildDate    = ""
)

// libraryModules are the libraries whose versions decide what stevedore
// writes and accepts (signature formats, SBOM contents, registry protocol),
// reported as `cosign version` and `syft version` report theirs.
var libraryModules = []struct{ key, path string }{
	{"cosign", "github.com/sigstore/cosign/v2"},
	{"syft", "github.com/anchore/syft"},
	{"go-containerregistry", "github.com/google/go-containerregistry"},
	{"buildkit", "github.com/moby/buildkit"},
}

// buildInfoOut is what `stevedore version` prints.
type buildInfoOut struct {
	Version   string            `json:"version"`
	Commit    string            `json:"commit"`
	Date      string            `json:"date"`
	GoVersion string            `json:"go_version"`
	Platform  string            `json:"platform"`
	Libraries map[string]string `json:"libraries"`
}

func buildInfo() buildInfoOut {
	out := buildInfoOut{
		Version: buildVersion, Commit: buildCommit, Date: buildDate,
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH,
		Libraries: map[string]string{},
	}
	// Every library the README lists has its key, "" when not known.
	for _, m := range libraryModules {
		out.Libraries[m.key] = ""
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return out
	}
	if out.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		out.Version = strings.TrimPrefix(bi.Main.Version, "v")
	}
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision" && out.Commit == "":
			out.Commit = s.Value
		case s.Key == "vcs.time" && out.Date == "":
			out.Date = s.Value
		}
	}
	for _, d := range bi.Deps {
		for _, m := range libraryModules {
			if d.Path == m.path {
				v := d.Version
				if d.Replace != nil {
					v = d.Replace.Version
				}
				out.Libraries[m.key] = v
			}
		}
	}
	return out
}

func writeBuildInfo(w io.Writer, b buildInfoOut) {
	row := func(k, v string) {
		if v == "" {
			v = "unknown"
		}
		fmt.Fprintf(w, "%-22s %s\n", k+":", v)
	}
	row("version", b.Version)
	row("commit", b.Commit)
	row("date", b.Date)
	row("go", b.GoVersion)
	row("platform", b.Platform)
	for _, m := range libraryModules {
		row(m.key, b.Libraries[m.key])
	}
}
