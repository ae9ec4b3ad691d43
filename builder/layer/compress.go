package layer

import (
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
)

// newCompressor returns the pinned encoder writing to w. Gzip is always the
// block-parallel pgzip stream, also on one core: a single-threaded gzip
// would give other bytes, and the digest must not depend on the machine.
func newCompressor(w io.Writer, o options) (io.WriteCloser, error) {
	switch o.compression {
	case Gzip:
		zw, err := pgzip.NewWriterLevel(w, o.level)
		if err != nil {
			return nil, fmt.Errorf("starting gzip: %w", err)
		}
		// pgzip compresses each in-flight block on its own goroutine, so
		// the number of blocks in flight is the concurrency.
		if err := zw.SetConcurrency(gzipBlockSize, max(o.concurrency, 1)); err != nil {
			return nil, fmt.Errorf("starting gzip: %w", err)
		}
		return zw, nil
	case Zstd:
		zw, err := zstd.NewWriter(w,
			zstd.WithEncoderLevel(zstd.EncoderLevel(o.level)),
			zstd.WithEncoderConcurrency(o.concurrency),
		)
		if err != nil {
			return nil, fmt.Errorf("starting zstd: %w", err)
		}
		return zw, nil
	}
	return nil, fmt.Errorf("starting compression: unknown %s", o.compression)
}

// newDecompressor reads a blob written by newCompressor.
func newDecompressor(r io.Reader, c Compression) (io.ReadCloser, error) {
	switch c {
	case Gzip:
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, err
		}
		return zr, nil
	case Zstd:
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		return zr.IOReadCloser(), nil
	}
	return nil, fmt.Errorf("unknown %s", c)
}
