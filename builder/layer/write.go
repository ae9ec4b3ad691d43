package layer

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sreevishnu07/stevedore/internal/atomicfile"
)

// Write turns a change set into one compressed layer blob in dir, named by
// its digest's hex (so dir can be an OCI layout's blobs/sha256). The tar
// stream is hashed for the diffID and the compressed stream for the digest
// as they are produced; the data is never read back. Compression runs on
// the configured number of cores.
//
// The same changes (paths, content, kept metadata) with the same options
// give the same bytes on any machine. A partly written file is removed on
// failure.
func Write(ctx context.Context, c *Changes, dir string, opts ...Option) (*Layer, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("writing layer in %s: %w", dir, err)
	}
	// Named by its digest only once written; until then a temporary file
	// that atomicfile.Sweep recognises, so a build killed here leaves
	// nothing a later build would take for a blob.
	tmp, err := atomicfile.Create(filepath.Join(dir, "layer"), 0o644)
	if err != nil {
		return nil, fmt.Errorf("writing layer in %s: %w", dir, err)
	}
	defer tmp.Abort() // no-op after CommitAs

	digest, diffID := sha256.New(), sha256.New()
	out := &countingWriter{w: bufio.NewWriterSize(tmp, 1<<20)}
	zw, err := newCompressor(io.MultiWriter(out, digest), o)
	if err != nil {
		return nil, fmt.Errorf("writing layer in %s: %w", dir, err)
	}
	// The tar side is buffered so the two hashes and the compressor see
	// large writes instead of 512-byte headers.
	tarBuf := bufio.NewWriterSize(io.MultiWriter(zw, diffID), 256<<10)
	if err := writeTar(ctx, tarBuf, c, o.epoch); err != nil {
		zw.Close()
		return nil, err
	}
	if err := tarBuf.Flush(); err != nil {
		zw.Close()
		return nil, fmt.Errorf("writing layer in %s: %w", dir, err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compressing layer in %s: %w", dir, err)
	}
	if err := out.w.(*bufio.Writer).Flush(); err != nil {
		return nil, fmt.Errorf("writing layer in %s: %w", dir, err)
	}
	l := &Layer{
		digest:      sha256Hash(digest),
		diffID:      sha256Hash(diffID),
		size:        out.n,
		compression: o.compression,
	}
	l.path = filepath.Join(dir, l.digest.Hex)
	// Same name, same bytes: replacing an existing blob is harmless and
	// the rename is atomic, so readers never see a partial blob; the file
	// and the rename are synced first, so a crash cannot leave one either.
	if err := tmp.CommitAs(l.path); err != nil {
		return nil, fmt.Errorf("storing layer %s: %w", l.path, err)
	}
	return l, nil
}

func sha256Hash(h hash.Hash) v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
