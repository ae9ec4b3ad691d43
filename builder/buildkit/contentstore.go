package buildkit

import (
	"context"
	"fmt"
	"os"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/sreevishnu07/stevedore/builder/store"
)

// contentStore lets BuildKit read stevedore's image store through the
// session, as buildctl --oci-layout does with containerd's local store. It
// is read-only: the daemon only fetches named images from it. (containerd's
// own store would also do, but it logs on every open where the file system
// lacks fs-verity, and a library must not print.)
type contentStore struct {
	st *store.Store
}

var _ content.Store = contentStore{}

func (c contentStore) Info(_ context.Context, d digest.Digest) (content.Info, error) {
	fi, err := os.Stat(c.st.Path(hashOf(d)))
	if err != nil {
		return content.Info{}, fmt.Errorf("blob %s: %w", d, errdefs.ErrNotFound)
	}
	return content.Info{Digest: d, Size: fi.Size(), CreatedAt: fi.ModTime(), UpdatedAt: fi.ModTime()}, nil
}

func (c contentStore) ReaderAt(_ context.Context, desc ocispec.Descriptor) (content.ReaderAt, error) {
	f, err := os.Open(c.st.Path(hashOf(desc.Digest)))
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", desc.Digest, errdefs.ErrNotFound)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return sizedFile{File: f, size: fi.Size()}, nil
}

type sizedFile struct {
	*os.File
	size int64
}

func (f sizedFile) Size() int64 { return f.size }

func hashOf(d digest.Digest) v1.Hash {
	return v1.Hash{Algorithm: d.Algorithm().String(), Hex: d.Encoded()}
}

func (contentStore) Update(context.Context, content.Info, ...string) (content.Info, error) {
	return content.Info{}, errdefs.ErrNotImplemented
}
func (contentStore) Walk(context.Context, content.WalkFunc, ...string) error {
	return errdefs.ErrNotImplemented
}
func (contentStore) Delete(context.Context, digest.Digest) error { return errdefs.ErrNotImplemented }
func (contentStore) Status(context.Context, string) (content.Status, error) {
	return content.Status{}, errdefs.ErrNotImplemented
}
func (contentStore) ListStatuses(context.Context, ...string) ([]content.Status, error) {
	return nil, errdefs.ErrNotImplemented
}
func (contentStore) Abort(context.Context, string) error { return errdefs.ErrNotImplemented }
func (contentStore) Writer(context.Context, ...content.WriterOpt) (content.Writer, error) {
	return nil, errdefs.ErrNotImplemented
}
