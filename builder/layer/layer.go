package layer

import (
	"fmt"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Layer is a written layer blob on disk. It implements v1.Layer with the
// hashes computed while it was written, so handing it to
// go-containerregistry reads the file only when content is needed.
type Layer struct {
	path        string
	digest      v1.Hash
	diffID      v1.Hash
	size        int64
	compression Compression
}

var _ v1.Layer = (*Layer)(nil)

// Path is the blob file, named by the digest's hex in the directory given
// to Write.
func (l *Layer) Path() string { return l.path }

// BlobPath is Path under the name outputs look for: an OCI layout on the
// same file system links the file instead of writing the layer again.
func (l *Layer) BlobPath() string { return l.path }

// Digest is the sha256 of the compressed blob.
func (l *Layer) Digest() (v1.Hash, error) { return l.digest, nil }

// DiffID is the sha256 of the uncompressed tar.
func (l *Layer) DiffID() (v1.Hash, error) { return l.diffID, nil }

// Size is the compressed blob's length.
func (l *Layer) Size() (int64, error) { return l.size, nil }

// MediaType is the OCI layer type for the compression used.
func (l *Layer) MediaType() (types.MediaType, error) {
	if l.compression == Zstd {
		return types.OCILayerZStd, nil
	}
	return types.OCILayer, nil
}

// Compressed opens the blob.
func (l *Layer) Compressed() (io.ReadCloser, error) {
	f, err := os.Open(l.path)
	if err != nil {
		return nil, fmt.Errorf("opening layer %s: %w", l.path, err)
	}
	return f, nil
}

// Uncompressed opens the blob and decompresses it.
func (l *Layer) Uncompressed() (io.ReadCloser, error) {
	f, err := os.Open(l.path)
	if err != nil {
		return nil, fmt.Errorf("opening layer %s: %w", l.path, err)
	}
	zr, err := newDecompressor(f, l.compression)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("decompressing layer %s: %w", l.path, err)
	}
	return &closeBoth{Reader: zr, z: zr, f: f}, nil
}

type closeBoth struct {
	io.Reader
	z io.Closer
	f *os.File
}

func (c *closeBoth) Close() error {
	zerr := c.z.Close()
	if err := c.f.Close(); err != nil {
		return err
	}
	return zerr
}
