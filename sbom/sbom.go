package sbom

import (
	"cmp"
	"slices"
	"time"

	syftsbom "github.com/anchore/syft/syft/sbom"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// SBOM is the catalog of one image, ready to be encoded in any Format.
type SBOM struct {
	// Digest is the manifest digest of the cataloged image: what the SBOM,
	// and any attestation of it, binds to.
	Digest v1.Hash
	// Config is the digest of the image config (the image ID).
	Config v1.Hash
	// Repository is the repository given with WithRepository, or "".
	Repository string
	// Created is the document creation time written into every encoding.
	Created time.Time
	// FromCache reports that the documents were read from the cache given
	// with WithCacheDir rather than cataloged now.
	FromCache bool
	// LayerCache says how the per-layer cache of WithCacheDir was used
	// when the image was cataloged now; zero without a cache directory.
	LayerCache LayerCacheUse

	doc *syftsbom.SBOM
	// encoded holds documents already encoded: all formats for a cached
	// SBOM (which has no doc) or one stored in the cache.
	encoded  map[Format][]byte
	packages []Package // of a cached SBOM
	distro   string    // of a cached SBOM
}

// Name is how the documents name the image: repo@sha256:…, or the bare
// manifest digest when no repository was given.
func (s *SBOM) Name() string {
	return identity{digest: s.Digest, repo: s.Repository}.name()
}

// Package is one package found in the image, as a summary for callers that
// report or check what was found without decoding an encoding.
type Package struct {
	Name    string
	Version string
	// Type is syft's package type: deb, apk, rpm, go-module, npm, python, …
	Type string
	// PURL is the package URL, the identifier vulnerability databases use.
	PURL string
	// Paths are the files in the image the package was found from.
	Paths []string
}

// Packages lists the packages found, sorted by type, name, version and purl so
// that callers' output is as stable as the encodings.
func (s *SBOM) Packages() []Package {
	if s.doc == nil {
		return slices.Clone(s.packages)
	}
	var out []Package
	for p := range s.doc.Artifacts.Packages.Enumerate() {
		pkg := Package{Name: p.Name, Version: p.Version, Type: string(p.Type), PURL: p.PURL}
		for _, l := range p.Locations.ToSlice() {
			pkg.Paths = append(pkg.Paths, l.RealPath)
		}
		slices.Sort(pkg.Paths)
		pkg.Paths = slices.Compact(pkg.Paths)
		out = append(out, pkg)
	}
	slices.SortFunc(out, func(a, b Package) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Version, b.Version), cmp.Compare(a.PURL, b.PURL))
	})
	return out
}

// Distro is the operating system release identified in the image (for
// example "debian 12"), or "" when none was found.
func (s *SBOM) Distro() string {
	if s.doc == nil {
		return s.distro
	}
	r := s.doc.Artifacts.LinuxDistribution
	if r == nil {
		return ""
	}
	if r.VersionID == "" {
		return r.ID
	}
	return r.ID + " " + r.VersionID
}
