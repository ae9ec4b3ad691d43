package sbom

import (
	"context"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/anchore/syft/syft/file"
	"github.com/anchore/syft/syft/source"
)

// lookups records what syft's catalogers asked of the image's files: every
// path requested, found or not, and every file returned or read. It is what
// a catalog relied on, so a later layer that touches none of it cannot have
// changed what those catalogers saw.
type lookups struct {
	mu        sync.Mutex
	requested map[string]bool
	found     map[string]bool
	globs     map[string]bool
	// release are the paths syft's release identification asked for: it
	// runs first, over the whole tree, whatever the layers hold.
	release map[string]bool
	all     bool // some cataloger enumerated every file and kept what it liked
	// nixStore reports that syft's nix cataloger enumerated every file for
	// the ones under a nix/store directory: what it relied on is every
	// such file, present or added later.
	nixStore bool
}

func newLookups() *lookups {
	return &lookups{requested: map[string]bool{}, found: map[string]bool{}, globs: map[string]bool{}, release: map[string]bool{}}
}

func (l *lookups) request(paths ...string) {
	release := callerIn("/syft/syft/linux.")
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range paths {
		l.requested[cleanPath(p)] = true
		if release {
			l.release[cleanPath(p)] = true
		}
	}
}

// callerIn reports whether a function of the package (path and the dot
// that follows it) is on the stack. syft says nothing else about who asks:
// should it move its code, the lookups count as any cataloger's and more
// images are cataloged whole, which is slower but never wrong (the tests
// of the fast path then fail and say so).
func callerIn(pkg string) bool {
	pcs := make([]uintptr, 32)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	for {
		f, more := frames.Next()
		if strings.Contains(f.Function, pkg) {
			return true
		}
		if !more {
			return false
		}
	}
}

func (l *lookups) saw(locs ...file.Location) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, loc := range locs {
		if loc.RealPath != "" {
			l.found[cleanPath(loc.RealPath)] = true
		}
		if loc.AccessPath != "" {
			l.found[cleanPath(loc.AccessPath)] = true
		}
	}
}

// cataloged are the paths requested other than by release identification.
func (l *lookups) cataloged() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := map[string]bool{}
	for p := range l.requested {
		if !l.release[p] {
			m[p] = true
		}
	}
	return sortedKeys(m)
}

func (l *lookups) globPatterns() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return sortedKeys(l.globs)
}

func (l *lookups) paths() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := map[string]bool{}
	for p := range l.requested {
		m[p] = true
	}
	for p := range l.found {
		m[p] = true
	}
	return sortedKeys(m)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// recordingSource is a syft source whose file resolver records lookups.
// It forwards source.PathExcluder, which syft checks the source for, so
// cataloging through it excludes what it would without it.
type recordingSource struct {
	source.Source
	rec *lookups
}

func (s recordingSource) ExcludedPaths() []string {
	if e, ok := s.Source.(source.PathExcluder); ok {
		return e.ExcludedPaths()
	}
	return nil
}

func (s recordingSource) FileResolver(scope source.Scope) (file.Resolver, error) {
	r, err := s.Source.FileResolver(scope)
	if err != nil {
		return nil, err
	}
	return &recordingResolver{r: r, rec: s.rec}, nil
}

// recordingResolver implements exactly file.Resolver, as stereoscope's
// image resolvers do (no file.OCIMediaTypeResolver), so catalogers take the
// same branches through it as without it.
type recordingResolver struct {
	r   file.Resolver
	rec *lookups
}

func (r *recordingResolver) FileContentsByLocation(l file.Location) (io.ReadCloser, error) {
	r.rec.saw(l)
	return r.r.FileContentsByLocation(l)
}

func (r *recordingResolver) FileMetadataByLocation(l file.Location) (file.Metadata, error) {
	r.rec.saw(l)
	return r.r.FileMetadataByLocation(l)
}

func (r *recordingResolver) HasPath(p string) bool {
	r.rec.request(p)
	return r.r.HasPath(p)
}

func (r *recordingResolver) FilesByPath(paths ...string) ([]file.Location, error) {
	r.rec.request(paths...)
	locs, err := r.r.FilesByPath(paths...)
	r.rec.saw(locs...)
	return locs, err
}

func (r *recordingResolver) FilesByGlob(patterns ...string) ([]file.Location, error) {
	r.rec.mu.Lock()
	for _, g := range patterns {
		r.rec.globs[g] = true
	}
	r.rec.mu.Unlock()
	locs, err := r.r.FilesByGlob(patterns...)
	r.rec.saw(locs...)
	return locs, err
}

func (r *recordingResolver) FilesByMIMEType(types ...string) ([]file.Location, error) {
	locs, err := r.r.FilesByMIMEType(types...)
	r.rec.saw(locs...)
	return locs, err
}

func (r *recordingResolver) RelativeFileByPath(from file.Location, p string) *file.Location {
	r.rec.request(p)
	loc := r.r.RelativeFileByPath(from, p)
	if loc != nil {
		r.rec.saw(*loc)
	}
	return loc
}

// AllLocations records who enumerates every file. syft's file catalogers
// (metadata, digests, executables) do it when they catalog all files, and
// each file's record is its own: the files are recorded as they are read.
// The nix cataloger does it to find nix stores. Any other caller may relate
// files it saw anywhere, so it makes the catalog rely on every file.
func (r *recordingResolver) AllLocations(ctx context.Context) <-chan file.Location {
	caller := enumerator()
	r.rec.mu.Lock()
	switch caller {
	case "file":
	case "nix":
		r.rec.nixStore = true
	default:
		r.rec.all = true
	}
	r.rec.mu.Unlock()
	return r.r.AllLocations(ctx)
}

// enumerator names the syft cataloger calling AllLocations: "file", "nix"
// or "" for any other.
func enumerator() string {
	pcs := make([]uintptr, 32)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	for {
		f, more := frames.Next()
		switch {
		case strings.Contains(f.Function, "/syft/syft/file/cataloger/"):
			return "file"
		case strings.Contains(f.Function, "/syft/syft/pkg/cataloger/nix."):
			return "nix"
		case strings.Contains(f.Function, "/syft/syft/pkg/cataloger/"):
			return ""
		}
		if !more {
			return ""
		}
	}
}
