package sbom

import (
	"time"

	"github.com/google/go-containerregistry/pkg/name"
)

// Option configures Generate.
type Option func(*options)

type options struct {
	repo        *name.Repository
	created     time.Time
	tempDir     string
	toolName    string
	toolVersion string
	parallelism int
	cacheDir    string
}

func makeOptions(opts []Option) *options {
	o := &options{}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// WithRepository names the repository the image is released to, so the SBOM
// describes it as repo@sha256:… (SPDX document name, CycloneDX metadata
// component, syft source name). Default: none, and the image is named by its
// manifest digest alone.
func WithRepository(repo name.Repository) Option {
	return func(o *options) { o.repo = &repo }
}

// WithCreated sets the document creation time written into SPDX
// (creationInfo.created) and CycloneDX (metadata.timestamp). Default: the image
// config's Created field (which a reproducible build sets from
// SOURCE_DATE_EPOCH or the commit time), or the Unix epoch when that is unset,
// so that the same image always yields the same bytes.
func WithCreated(t time.Time) Option {
	return func(o *options) { o.created = t }
}

// WithTempDir sets the directory under which Generate keeps its cache of
// uncompressed layers (about the image's uncompressed size) while it runs; the
// cache is removed before Generate returns. Default: the system temporary
// directory. syft's catalogers still unpack nested archives (jars and the
// like) under the system temporary directory: syft exposes no way to move them.
func WithTempDir(dir string) Option {
	return func(o *options) { o.tempDir = dir }
}

// WithTool records the tool that made the SBOM (SPDX creators, CycloneDX
// metadata tools, syft descriptor). Default: syft and the syft module version
// linked into the binary, as syft itself reports.
func WithTool(name, version string) Option {
	return func(o *options) { o.toolName, o.toolVersion = name, version }
}

// WithParallelism bounds how many cataloging tasks run at once. Default: 0,
// syft's default of four per CPU; 1 runs them one after another.
func WithParallelism(n int) Option {
	return func(o *options) { o.parallelism = n }
}

// WithCacheDir keeps every SBOM made under dir/sbom, keyed by the image's
// manifest digest, the syft version, the tool, repository and creation time
// written into the documents: a later Generate of the same image returns the
// same bytes in every format without cataloging (SBOM.FromCache says so).
// It also keeps base layers' catalogs under dir/sbom-layers, by ChainID,
// so an image on a base cataloged before may catalog only its new layers,
// with the same bytes as a whole catalog (SBOM.LayerCache says which). An
// entry is a few documents of the image's package list (and, for a base,
// the paths its catalogers relied on); nothing expires it, and deleting the
// directory is always safe. Default: no cache, every
// call catalogs.
func WithCacheDir(dir string) Option {
	return func(o *options) { o.cacheDir = dir }
}
