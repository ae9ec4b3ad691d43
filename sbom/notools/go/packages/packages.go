// Package packages is a stand-in for golang.org/x/tools/go/packages with
// the API syft's go.mod cataloger compiles against. That cataloger runs
// `go list` over a source directory and is in syft's directory set only;
// stevedore catalogs images, whose set leaves it out, so release builds
// replace x/tools (and go/types beneath it) with this package, whose Load
// fails with ErrUnsupported instead.
package packages

import (
	"errors"
	"fmt"
)

// ErrUnsupported is returned by Load: a release binary of stevedore loads
// no Go packages from source.
var ErrUnsupported = errors.New("loading Go packages from source is not supported by stevedore's release binary, which catalogs images only (build with `go install github.com/sreevishnu07/stevedore/cmd/stevedore@VERSION` for the full loader)")

// LoadMode says what Load fills in.
type LoadMode int

// The modes syft asks for (values as in x/tools).
const (
	NeedName LoadMode = 1 << iota
	NeedFiles
	NeedCompiledGoFiles
	NeedImports
	NeedDeps
	NeedExportFile
	NeedTypes
	NeedSyntax
	NeedTypesInfo
	NeedTypesSizes
	needInternalDepsErrors
	NeedForTest
	needInternalForTest
	NeedModule
	NeedEmbedFiles
	NeedEmbedPatterns
	NeedTarget
)

// Config is what Load would run `go list` with.
type Config struct {
	Mode  LoadMode
	Dir   string
	Env   []string
	Tests bool
}

// ErrorKind is where an Error came from.
type ErrorKind int

// Error is a package's load error.
type Error struct {
	Pos  string
	Msg  string
	Kind ErrorKind
}

func (e Error) Error() string {
	if e.Pos == "" {
		return e.Msg
	}
	return e.Pos + ": " + e.Msg
}

// Module is a package's module, as `go list -m -json` reports it.
type Module struct {
	Path      string
	Version   string
	Replace   *Module
	Time      any
	Main      bool
	Indirect  bool
	Dir       string
	GoMod     string
	GoVersion string
	Error     *ModuleError
}

// ModuleError is a module's load error.
type ModuleError struct{ Err string }

// Package is one loaded package.
type Package struct {
	ID              string
	Name            string
	PkgPath         string
	Errors          []Error
	GoFiles         []string
	CompiledGoFiles []string
	OtherFiles      []string
	EmbedFiles      []string
	IgnoredFiles    []string
	Imports         map[string]*Package
	Module          *Module
}

// Load refuses, naming the patterns and the directory.
func Load(cfg *Config, patterns ...string) ([]*Package, error) {
	dir := ""
	if cfg != nil {
		dir = cfg.Dir
	}
	return nil, fmt.Errorf("load %v in %s: %w", patterns, dir, ErrUnsupported)
}

// Visit calls pre for each package in pkgs and their imports, depth first,
// each package once, and post after its imports.
func Visit(pkgs []*Package, pre func(*Package) bool, post func(*Package)) {
	seen := map[*Package]bool{}
	var visit func(*Package)
	visit = func(p *Package) {
		if seen[p] {
			return
		}
		seen[p] = true
		if pre == nil || pre(p) {
			for _, imp := range p.Imports {
				visit(imp)
			}
		}
		if post != nil {
			post(p)
		}
	}
	for _, p := range pkgs {
		visit(p)
	}
}
