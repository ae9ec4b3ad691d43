package sbom

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/anchore/stereoscope/pkg/file"
	"github.com/anchore/stereoscope/pkg/image"
	"github.com/anchore/syft/syft"
	syftsbom "github.com/anchore/syft/syft/sbom"
	"github.com/anchore/syft/syft/source"
	"github.com/anchore/syft/syft/source/stereoscopesource"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Generate catalogs the packages in img with syft's default catalogers for
// container images (OS packages: dpkg, apk, rpm; language packages: Go binaries
// with build info, npm, Python, Java, …) over the squashed filesystem.
//
// img must be a single-platform image; for an index, call Generate once per
// platform child. Each layer is read once through img (for an oci: layout that
// is a local file), decompressed into a cache under the temporary directory,
// and indexed; the cache is removed before Generate returns. Nothing is
// fetched from a registry unless img itself is a lazily-fetched remote image.
//
// With WithCacheDir, an image cataloged before is not read at all: its
// documents come from the cache. Otherwise the catalog of its bottom layers
// may come from the per-layer cache, and only the layers above them are
// cataloged (SBOM.LayerCache says whether, and if not, why not).
func Generate(ctx context.Context, img v1.Image, opts ...Option) (*SBOM, error) {
	if img == nil {
		return nil, errors.New("generating SBOM: no image given")
	}
	o := makeOptions(opts)

	id, err := identify(img, o)
	if err != nil {
		return nil, err
	}

	if o.cacheDir == "" {
		s, err := catalog(ctx, img, id, o)
		if err != nil {
			return nil, fmt.Errorf("generating SBOM for %s: %w", id.name(), err)
		}
		return s, nil
	}
	if s := loadCached(id, o); s != nil {
		return s, nil
	}
	s, err := catalogByLayers(ctx, img, id, o)
	if err != nil {
		return nil, fmt.Errorf("generating SBOM for %s: %w", id.name(), err)
	}
	if err := storeCached(s, id, o); err != nil {
		return nil, fmt.Errorf("caching SBOM of %s in %s: %w (set --cache-dir to a writable directory)", id.name(), o.cacheDir, err)
	}
	return s, nil
}

// identity is what names the image in every encoding.
type identity struct {
	digest   v1.Hash
	config   v1.Hash
	repo     string
	created  time.Time
	manifest []byte
}

// name is repo@sha256:…, or the bare digest when no repository is known.
func (id identity) name() string {
	if id.repo == "" {
		return id.digest.String()
	}
	return id.repo + "@" + id.digest.String()
}

func identify(img v1.Image, o *options) (identity, error) {
	var id identity
	var err error
	if id.manifest, err = img.RawManifest(); err != nil {
		return id, fmt.Errorf("reading image manifest: %w", err)
	}
	if id.digest, err = img.Digest(); err != nil {
		return id, fmt.Errorf("computing image digest: %w", err)
	}
	if id.config, err = img.ConfigName(); err != nil {
		return id, fmt.Errorf("computing config digest of %s: %w", id.digest, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return id, fmt.Errorf("reading image config of %s: %w", id.digest, err)
	}
	if o.repo != nil {
		id.repo = o.repo.Name()
	}
	id.created = o.created
	if id.created.IsZero() {
		id.created = cfg.Created.Time
	}
	if id.created.IsZero() {
		// same convention as SOURCE_DATE_EPOCH=0: a fixed, recognisable instant
		// rather than the wall clock, which would break byte-for-byte equality
		id.created = time.Unix(0, 0)
	}
	id.created = id.created.UTC().Truncate(time.Second)
	return id, nil
}

func catalog(ctx context.Context, img v1.Image, id identity, o *options) (*SBOM, error) {
	doc, err := runSyft(ctx, img, id, o, nil)
	if err != nil {
		return nil, err
	}
	return &SBOM{
		Digest:     id.digest,
		Config:     id.config,
		Repository: id.repo,
		Created:    id.created,
		doc:        doc,
	}, nil
}

// runSyft catalogs img, recording the catalogers' file lookups in rec when
// it is not nil.
func runSyft(ctx context.Context, img v1.Image, id identity, o *options, rec *lookups) (_ *syftsbom.SBOM, err error) {
	// Building syft's license scanner is about a second of CPU, most of a
	// small image's SBOM; it needs nothing from the image, so it is built
	// while the layers are read and indexed rather than after.
	go sharedLicenseScanner() //nolint:errcheck // the result is read below
	cacheDir, err := os.MkdirTemp(o.tempDir, "stevedore-sbom-")
	if err != nil {
		return nil, fmt.Errorf("creating layer cache: %w", err)
	}
	defer func() {
		if rmErr := os.RemoveAll(cacheDir); rmErr != nil && err == nil {
			err = fmt.Errorf("removing layer cache %s: %w", cacheDir, rmErr)
		}
	}()

	// stereoscope's image.New takes the v1.Image we already hold, so no
	// stereoscope provider (daemon, registry, archive) is involved: the layers
	// are read exactly once, from wherever img reads them. WithManifest makes
	// the manifest digest the source's identity, as a registry source would.
	simg := image.New(img, file.NewTempDirGenerator("stevedore-sbom"), cacheDir,
		image.WithManifest(id.manifest),
		image.WithRepoDigests(repoDigests(id)...),
	)
	defer func() {
		if cErr := simg.Cleanup(); cErr != nil && err == nil {
			err = fmt.Errorf("cleaning up layer cache: %w", cErr)
		}
	}()
	if err := simg.Read(ctx); err != nil {
		return nil, fmt.Errorf("reading layers: %w", err)
	}

	var src source.Source = stereoscopesource.New(simg, stereoscopesource.ImageConfig{
		Reference: id.name(),
		Alias:     alias(id),
	})
	if rec != nil {
		src = recordingSource{Source: src, rec: rec}
	}

	ctx, err = withLicenseScanner(ctx)
	if err != nil {
		return nil, fmt.Errorf("building license scanner: %w", err)
	}
	doc, err := syft.CreateSBOM(ctx, src, createConfig(o))
	if err != nil {
		return nil, fmt.Errorf("cataloging packages: %w", err)
	}
	return doc, nil
}

func repoDigests(id identity) []string {
	if id.repo == "" {
		return nil
	}
	return []string{id.name()}
}

// alias names a digest-only image explicitly: syft would otherwise parse the
// bare "sha256:…" as a repository called "sha256" tagged with the hex.
func alias(id identity) source.Alias {
	if id.repo != "" {
		return source.Alias{}
	}
	return source.Alias{Name: id.digest.String(), Version: id.digest.String()}
}
