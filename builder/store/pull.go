package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sync/errgroup"
)

// ErrNoPlatform means an index has no image for the requested platform.
var ErrNoPlatform = errors.New("no image for the platform")

// pullJobs bounds parallel layer downloads.
const pullJobs = 4

// Pull returns the image ref names for platform, reading everything from the
// store and downloading only what is missing. A digest reference whose
// content is already stored needs no registry at all; a tag costs one HEAD
// request to learn what it points at now. Downloads are verified against
// their digests. opts carry authentication and transport, as for any
// go-containerregistry remote call.
func (s *Store) Pull(ctx context.Context, ref name.Reference, platform v1.Platform, opts ...remote.Option) (v1.Image, error) {
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	img, err := s.manifest(ref, platform, opts)
	if err != nil {
		return nil, fmt.Errorf("pulling %s: %w", ref, err)
	}
	if err := s.fetchBlobs(ctx, ref.Context(), img, opts); err != nil {
		return nil, fmt.Errorf("pulling %s: %w", ref, err)
	}
	return img, nil
}

// manifest stores the manifest ref names (the one for platform if it names
// an index) and returns the image it describes, its blobs not checked.
func (s *Store) manifest(ref name.Reference, platform v1.Platform, opts []remote.Option) (v1.Image, error) {
	h, mt, err := s.resolve(ref, opts)
	if err != nil {
		return nil, err
	}
	if mt.IsIndex() {
		raw, err := s.ReadBlob(h)
		if err != nil {
			return nil, err
		}
		child, err := pickPlatform(raw, platform)
		if err != nil {
			return nil, err
		}
		if err := s.fetchManifest(ref.Context().Digest(child.Digest.String()), child.Digest, opts); err != nil {
			return nil, fmt.Errorf("for %s: %w", platformString(platform), err)
		}
		h, mt = child.Digest, child.MediaType
	}
	if !mt.IsImage() {
		return nil, fmt.Errorf("unsupported manifest media type %s", mt)
	}
	return s.Image(h)
}

// resolve finds the manifest digest and media type ref names, storing the
// manifest if it is new.
func (s *Store) resolve(ref name.Reference, opts []remote.Option) (v1.Hash, types.MediaType, error) {
	var h v1.Hash
	if d, ok := ref.(name.Digest); ok {
		var err error
		if h, err = v1.NewHash(d.DigestStr()); err != nil {
			return v1.Hash{}, "", err
		}
	} else {
		desc, err := remote.Head(ref, opts...)
		if err != nil {
			return v1.Hash{}, "", fmt.Errorf("resolving tag: %w", err)
		}
		h = desc.Digest
	}
	if err := s.fetchManifest(ref.Context().Digest(h.String()), h, opts); err != nil {
		return v1.Hash{}, "", err
	}
	raw, err := s.ReadBlob(h)
	if err != nil {
		return v1.Hash{}, "", err
	}
	return h, mediaType(raw), nil
}

func (s *Store) fetchManifest(ref name.Digest, h v1.Hash, opts []remote.Option) error {
	if s.Verify(h) {
		return nil
	}
	desc, err := remote.Get(ref, opts...)
	if err != nil {
		return fmt.Errorf("fetching manifest: %w", err)
	}
	return s.WriteBlob(h, bytes.NewReader(desc.Manifest))
}

// fetchBlobs downloads the config and layers img lacks in the store.
func (s *Store) fetchBlobs(ctx context.Context, repo name.Repository, img v1.Image, opts []remote.Option) error {
	m, err := img.Manifest()
	if err != nil {
		return err
	}
	g, _ := errgroup.WithContext(ctx)
	g.SetLimit(pullJobs)
	for _, d := range append([]v1.Descriptor{m.Config}, m.Layers...) {
		if s.HasBlob(d.Digest, d.Size) {
			continue
		}
		g.Go(func() error { return s.fetchBlob(repo, d, opts) })
	}
	return g.Wait()
}

func (s *Store) fetchBlob(repo name.Repository, d v1.Descriptor, opts []remote.Option) error {
	l, err := remote.Layer(repo.Digest(d.Digest.String()), opts...)
	if err != nil {
		return err
	}
	rc, err := l.Compressed()
	if err != nil {
		return fmt.Errorf("downloading blob %s: %w", d.Digest, err)
	}
	defer rc.Close()
	return s.WriteBlob(d.Digest, rc)
}

// Image returns the stored image whose manifest digest is h. Its blobs are
// read from the store; it does not check that they are all there (Pull does).
func (s *Store) Image(h v1.Hash) (v1.Image, error) {
	raw, err := s.ReadBlob(h)
	if err != nil {
		return nil, err
	}
	mt := mediaType(raw)
	if !mt.IsImage() {
		return nil, fmt.Errorf("reading image %s: manifest media type is %s", h, mt)
	}
	return partial.CompressedToImage(&storedImage{s: s, raw: raw, mt: mt})
}

// mediaType reads a manifest's own mediaType field; Docker schema 2 and OCI
// manifests both carry it.
func mediaType(raw []byte) types.MediaType {
	var m struct {
		MediaType types.MediaType `json:"mediaType"`
		Manifests json.RawMessage `json:"manifests"`
	}
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	if m.MediaType == "" && m.Manifests != nil {
		return types.OCIImageIndex
	}
	if m.MediaType == "" {
		return types.OCIManifestSchema1
	}
	return m.MediaType
}

func pickPlatform(raw []byte, want v1.Platform) (v1.Descriptor, error) {
	im, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return v1.Descriptor{}, err
	}
	var have []string
	for _, d := range im.Manifests {
		if d.Platform == nil {
			continue
		}
		if d.Platform.Satisfies(want) {
			return d, nil
		}
		have = append(have, platformString(*d.Platform))
	}
	// arm64 images often omit the v8 variant that a requested platform names.
	if want.Variant == "v8" && want.Architecture == "arm64" {
		w := want
		w.Variant = ""
		return pickPlatform(raw, w)
	}
	return v1.Descriptor{}, fmt.Errorf("%w %s (the index has %s)", ErrNoPlatform, platformString(want), strings.Join(have, ", "))
}

func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// storedImage is an image whose manifest, config and layers are blobs in
// the store.
type storedImage struct {
	s   *Store
	raw []byte
	mt  types.MediaType
}

func (i *storedImage) RawManifest() ([]byte, error)        { return i.raw, nil }
func (i *storedImage) MediaType() (types.MediaType, error) { return i.mt, nil }

func (i *storedImage) RawConfigFile() ([]byte, error) {
	m, err := v1.ParseManifest(bytes.NewReader(i.raw))
	if err != nil {
		return nil, err
	}
	return i.s.ReadBlob(m.Config.Digest)
}

func (i *storedImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	m, err := v1.ParseManifest(bytes.NewReader(i.raw))
	if err != nil {
		return nil, err
	}
	if h == m.Config.Digest {
		return &storedBlob{s: i.s, desc: m.Config}, nil
	}
	for _, l := range m.Layers {
		if l.Digest == h {
			return &storedBlob{s: i.s, desc: l}, nil
		}
	}
	return nil, fmt.Errorf("layer %s is not in image manifest", h)
}

type storedBlob struct {
	s    *Store
	desc v1.Descriptor
}

func (b *storedBlob) Digest() (v1.Hash, error)            { return b.desc.Digest, nil }
func (b *storedBlob) Size() (int64, error)                { return b.desc.Size, nil }
func (b *storedBlob) MediaType() (types.MediaType, error) { return b.desc.MediaType, nil }
func (b *storedBlob) Compressed() (io.ReadCloser, error)  { return b.s.Open(b.desc.Digest) }

// Config returns the manifest digest and raw config of ref's image for
// platform, fetching only the manifests and the config blob the store lacks:
// what the build checks need to know about a base image, without its layers.
func (s *Store) Config(ctx context.Context, ref name.Reference, platform v1.Platform, opts ...remote.Option) (v1.Hash, []byte, error) {
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	img, err := s.manifest(ref, platform, opts)
	if err != nil {
		return v1.Hash{}, nil, fmt.Errorf("reading %s: %w", ref, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return v1.Hash{}, nil, fmt.Errorf("reading %s: %w", ref, err)
	}
	if !s.HasBlob(m.Config.Digest, m.Config.Size) {
		if err := s.fetchBlob(ref.Context(), m.Config, opts); err != nil {
			return v1.Hash{}, nil, fmt.Errorf("reading %s's config: %w", ref, err)
		}
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return v1.Hash{}, nil, fmt.Errorf("reading %s's config: %w", ref, err)
	}
	h, err := img.Digest()
	return h, cfg, err
}
