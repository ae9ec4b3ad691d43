package layer

import (
	"bytes"
	"io"
	"testing"
)

// TestCompressRoundTrip: every pinned encoder reads back, at every level
// and concurrency, and the concurrency never changes the bytes.
func TestCompressRoundTrip(t *testing.T) {
	data := bytes.Repeat([]byte("stevedore layer data "), 200000) // > 4 MiB: several gzip blocks
	for _, c := range []Compression{Gzip, Zstd} {
		var first []byte
		for _, conc := range []int{1, 2, 5} {
			o, err := buildOptions([]Option{WithCompression(c), WithConcurrency(conc)})
			must(t, err)
			var buf bytes.Buffer
			zw, err := newCompressor(&buf, o)
			must(t, err)
			_, err = zw.Write(data)
			must(t, err)
			must(t, zw.Close())
			if first == nil {
				first = buf.Bytes()
			} else if !bytes.Equal(first, buf.Bytes()) {
				t.Errorf("%s: concurrency %d changed the output", c, conc)
			}
			zr, err := newDecompressor(&buf, c)
			must(t, err)
			got, err := io.ReadAll(zr)
			must(t, err)
			must(t, zr.Close())
			if !bytes.Equal(got, data) {
				t.Errorf("%s: round trip lost data", c)
			}
		}
	}
	if _, err := newDecompressor(bytes.NewReader(nil), Compression(9)); err == nil {
		t.Error("unknown compression accepted")
	}
}
