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

// contentStore is stevedore's image store as BuildKit's session sees it:
// the daemon reads named images from it (as buildctl --oci-layout does with
// containerd's local store) and the OCI exporter writes the result into it,
// asking first, so a blob the store already holds (a cached layer) is never
// sent again. (containerd's own store would also do, but it logs on every
// open where the file system lacks fs-verity, and a library must not print.)
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

// Update keeps nothing: the store has no labels (BuildKit sets GC labels).
func (contentStore) Update(_ context.Context, info content.Info, _ ...string) (content.Info, error) {
	return info, nil
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
func (contentStore) Abort(context.Context, string) error { return nil }

// Writer receives one blob. A blob already in the store is refused with
// ErrAlreadyExists, which tells the sender to skip it.
func (c contentStore) Writer(_ context.Context, opts ...content.WriterOpt) (content.Writer, error) {
	var wo content.WriterOpts
	for _, o := range opts {
		if err := o(&wo); err != nil {
			return nil, err
		}
	}
	if wo.Desc.Digest != "" && c.st.Has(hashOf(wo.Desc.Digest)) {
		return nil, fmt.Errorf("blob %s: %w", wo.Desc.Digest, errdefs.ErrAlreadyExists)
	}
	f, err := os.CreateTemp(c.st.Dir(), ".export-")
	if err != nil {
		return nil, err
	}
	return &blobWriter{st: c.st, f: f, ref: wo.Ref, d: digest.Canonical.Digester()}, nil
}

// blobWriter spools a blob to a temporary file; Commit moves it into the
// store, which checks its digest.
type blobWriter struct {
	st   *store.Store
	f    *os.File
	ref  string
	d    digest.Digester
	n    int64
	done bool
}

func (w *blobWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.d.Hash().Write(p[:n])
	w.n += int64(n)
	return n, err
}

func (w *blobWriter) Digest() digest.Digest { return w.d.Digest() }

func (w *blobWriter) Status() (content.Status, error) {
	return content.Status{Ref: w.ref, Offset: w.n}, nil
}

func (w *blobWriter) Truncate(size int64) error {
	if size != 0 {
		return fmt.Errorf("truncating an export blob to %d bytes: %w", size, errdefs.ErrNotImplemented)
	}
	if err := w.f.Truncate(0); err != nil {
		return err
	}
	_, err := w.f.Seek(0, 0)
	w.d, w.n = digest.Canonical.Digester(), 0
	return err
}

func (w *blobWriter) Commit(_ context.Context, size int64, expected digest.Digest, _ ...content.Opt) error {
	d := w.d.Digest()
	if expected != "" && expected != d {
		return fmt.Errorf("export blob is %s, want %s: %w", d, expected, errdefs.ErrFailedPrecondition)
	}
	if size > 0 && size != w.n {
		return fmt.Errorf("export blob %s has %d bytes, want %d: %w", d, w.n, size, errdefs.ErrFailedPrecondition)
	}
	if _, err := w.f.Seek(0, 0); err != nil {
		return err
	}
	if err := w.st.WriteBlob(hashOf(d), w.f); err != nil {
		return err
	}
	w.done = true
	return w.Close()
}

func (w *blobWriter) Close() error {
	name := w.f.Name()
	err := w.f.Close()
	os.Remove(name)
	if w.done {
		return nil
	}
	return err
}
