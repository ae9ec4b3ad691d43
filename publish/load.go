package publish

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Artifact is what a reference names: an image or an index, with the
// descriptor (digest, media type, size) of its manifest. Exactly one of
// Image and Index is set.
type Artifact struct {
	Descriptor v1.Descriptor
	Image      v1.Image
	Index      v1.ImageIndex
}

// IsIndex reports whether the artifact is an image index (multi-platform).
func (a Artifact) IsIndex() bool { return a.Index != nil }

// Digest is the manifest digest: the identity everything else binds to.
func (a Artifact) Digest() v1.Hash { return a.Descriptor.Digest }

func (a Artifact) taggable() remote.Taggable {
	if a.Index != nil {
		return a.Index
	}
	return a.Image
}

func newImageArtifact(img v1.Image) (Artifact, error) {
	d, err := descriptorOf(img)
	if err != nil {
		return Artifact{}, err
	}
	return Artifact{Descriptor: d, Image: img}, nil
}

func newIndexArtifact(ii v1.ImageIndex) (Artifact, error) {
	d, err := descriptorOf(ii)
	if err != nil {
		return Artifact{}, err
	}
	return Artifact{Descriptor: d, Index: ii}, nil
}

type manifestLike interface {
	Digest() (v1.Hash, error)
	Size() (int64, error)
	RawManifest() ([]byte, error)
}

func descriptorOf(m interface {
	manifestLike
	MediaType() (types.MediaType, error)
}) (v1.Descriptor, error) {
	h, err := m.Digest()
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("computing digest: %w", err)
	}
	size, err := m.Size()
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("computing manifest size: %w", err)
	}
	mt, err := m.MediaType()
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("reading media type: %w", err)
	}
	return v1.Descriptor{MediaType: mt, Digest: h, Size: size}, nil
}

// Manifest is what can be published from memory: an image or an index,
// seen through its manifest (a build's result, as ko's build.Result).
type Manifest interface {
	partial.Describable
	partial.WithRawManifest
}

// NewArtifact wraps an in-memory image or index (for example a fresh build)
// so it can be published.
func NewArtifact(x Manifest) (Artifact, error) {
	switch v := x.(type) {
	case v1.ImageIndex:
		return newIndexArtifact(v)
	case v1.Image:
		return newImageArtifact(v)
	}
	return Artifact{}, fmt.Errorf("wrapping artifact: %T is neither a v1.Image nor a v1.ImageIndex", x)
}

// Load resolves a reference to what it names, by digest: the manifest is
// fetched once and its digest is the artifact's identity from then on.
func Load(ctx context.Context, ref Reference, opts ...Option) (Artifact, error) {
	if err := ref.valid(); err != nil {
		return Artifact{}, err
	}
	if ref.layout {
		return loadLayout(ctx, ref)
	}
	o := makeOptions(opts)
	return loadRemote(ctx, ref, o)
}

func loadRemote(ctx context.Context, ref Reference, o *options) (Artifact, error) {
	repo := ref.ref.Context()
	desc, err := remote.Get(ref.ref, o.remoteOptions(ctx, ref.insecureHosts())...)
	if err != nil {
		return Artifact{}, classify("loading", ref.String(), &repo, err)
	}
	switch {
	case desc.MediaType.IsIndex():
		ii, err := desc.ImageIndex()
		if err != nil {
			return Artifact{}, classify("loading", ref.String(), &repo, err)
		}
		return Artifact{Descriptor: plain(desc.Descriptor), Index: ii}, nil
	case desc.MediaType.IsImage():
		img, err := desc.Image()
		if err != nil {
			return Artifact{}, classify("loading", ref.String(), &repo, err)
		}
		return Artifact{Descriptor: plain(desc.Descriptor), Image: img}, nil
	}
	return Artifact{}, fmt.Errorf("loading %s: unsupported media type %q (only OCI/Docker images and indexes)", ref, desc.MediaType)
}

func (r Reference) insecureHosts() []string {
	if r.insecure && r.ref != nil {
		return []string{r.ref.Context().RegistryStr()}
	}
	return nil
}
