package builder

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"io"
	"os"

	"github.com/klauspost/compress/zstd"
	gzip "github.com/klauspost/pgzip"
	"github.com/ulikunitz/xz"
)

// openArchive opens file as a tar stream if it is a tar archive, plain or
// compressed with gzip, bzip2, xz or zstd (as BuildKit's ADD); ok is false for anything else, which
// ADD copies as is.
func openArchive(file string) (io.ReadCloser, bool, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, false, err
	}
	br := bufio.NewReaderSize(f, 1<<16)
	head, _ := br.Peek(512)
	var r io.Reader
	closeFn := f.Close
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, false, nil
		}
		r, closeFn = zr, func() error { zr.Close(); return f.Close() }
	case bytes.HasPrefix(head, []byte("BZh")):
		r = bzip2.NewReader(br)
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br)
		if err != nil {
			f.Close()
			return nil, false, nil
		}
		r, closeFn = zr, func() error { zr.Close(); return f.Close() }
	case bytes.HasPrefix(head, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		xr, err := xz.NewReader(br)
		if err != nil {
			f.Close()
			return nil, false, nil
		}
		r = xr
	default:
		if isTarHeader(head) {
			return readCloser{br, f.Close}, true, nil
		}
		f.Close()
		return nil, false, nil
	}
	// A compressed file is only an archive if a tar is inside.
	inner := bufio.NewReaderSize(r, 1<<16)
	h, _ := inner.Peek(512)
	if !isTarHeader(h) {
		closeFn()
		return nil, false, nil
	}
	return readCloser{inner, closeFn}, true, nil
}

func isTarHeader(b []byte) bool {
	return len(b) >= 262 && (bytes.Equal(b[257:262], []byte("ustar")))
}
