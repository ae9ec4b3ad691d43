package layer

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	kgzip "github.com/klauspost/compress/gzip"
)

// benchTree writes files files of about size bytes in total: each 4 KiB
// chunk is part random, part repeated text, which compresses roughly like
// a mix of binaries and sources.
func benchTree(b *testing.B, root string, files int, size int64, mtime time.Time) int64 {
	b.Helper()
	rnd := rand.New(rand.NewPCG(7, 7))
	per := size / int64(files)
	text := []byte("func main() { fmt.Println(\"hello, layer\") } // repeated source-like text\n")
	buf := make([]byte, 0, per*2+4096)
	var total int64
	for i := range files {
		n := per/2 + rnd.Int64N(per+1)
		buf = buf[:0]
		for int64(len(buf)) < n {
			// Each 4 KiB chunk: a random run of up to 3 KiB, then text.
			r := rnd.IntN(3072)
			for range r {
				buf = append(buf, byte(rnd.Uint32()))
			}
			for j := r; j < 4096; j++ {
				buf = append(buf, text[j%len(text)])
			}
		}
		buf = buf[:n]
		p := filepath.Join(root, fmt.Sprintf("d%02d/s%02d/f%05d.dat", i%37, i%11, i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			b.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			b.Fatal(err)
		}
		total += n
	}
	// Directory times too, so two trees made alike compare equal.
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.IsDir() {
			err = os.Chtimes(p, mtime, mtime)
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return total
}

// BenchmarkWrite writes a ~10,000 file / ~200 MB tree as one layer. Compare
// the default (parallel gzip) with single-threaded klauspost gzip and the
// standard library's gzip at their default levels.
func BenchmarkWrite(b *testing.B) {
	root := b.TempDir()
	total := benchTree(b, root, 10000, 200<<20, time.Now())
	c, err := FromFiles(context.Background(), []File{{Path: "/", Source: root}})
	if err != nil {
		b.Fatal(err)
	}
	out := b.TempDir()
	layerBench := func(opts ...Option) func(b *testing.B) {
		return func(b *testing.B) {
			b.SetBytes(total)
			var size int64
			for b.Loop() {
				l, err := Write(context.Background(), c, out, append([]Option{WithEpoch(time.Unix(1e9, 0))}, opts...)...)
				if err != nil {
					b.Fatal(err)
				}
				size, _ = l.Size()
				os.Remove(l.Path())
			}
			b.ReportMetric(float64(size)/float64(total), "ratio")
		}
	}
	streamBench := func(newW func(io.Writer) io.WriteCloser) func(b *testing.B) {
		return func(b *testing.B) {
			b.SetBytes(total)
			for b.Loop() {
				f, err := os.CreateTemp(out, "x")
				if err != nil {
					b.Fatal(err)
				}
				zw := newW(f)
				if err := writeTar(context.Background(), zw, c, time.Unix(1e9, 0)); err != nil {
					b.Fatal(err)
				}
				zw.Close()
				f.Close()
				os.Remove(f.Name())
			}
		}
	}
	for _, lvl := range []int{1, 3, 6} {
		b.Run(fmt.Sprintf("pgzip-level-%d", lvl), layerBench(WithLevel(lvl)))
	}
	b.Run("pgzip-level-1-concurrency-1", layerBench(WithConcurrency(1)))
	b.Run("zstd-default", layerBench(WithCompression(Zstd)))
	b.Run("klauspost-gzip-1-thread-level-1", streamBench(func(w io.Writer) io.WriteCloser {
		zw, _ := kgzip.NewWriterLevel(w, 1)
		return zw
	}))
	b.Run("klauspost-gzip-1-thread-default", streamBench(func(w io.Writer) io.WriteCloser { return kgzip.NewWriter(w) }))
	b.Run("stdlib-gzip-default", streamBench(func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) }))
	b.Run("tar-only", streamBench(func(w io.Writer) io.WriteCloser { return nopCloser{w} }))
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// BenchmarkDiffUnchanged scans two identical 10,000-file trees: the fully
// cached rebuild's path, where nothing may be read but metadata.
func BenchmarkDiffUnchanged(b *testing.B) {
	lower, upper := b.TempDir(), b.TempDir()
	mtime := time.Now()
	benchTree(b, lower, 10000, 10<<20, mtime)
	benchTree(b, upper, 10000, 10<<20, mtime)
	for _, tc := range []struct{ name, lower, upper string }{
		{"two-copies", lower, upper},
		{"same-tree", upper, upper},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				c, err := Diff(context.Background(), tc.lower, tc.upper)
				if err != nil {
					b.Fatal(err)
				}
				if c.Len() != 0 {
					b.Fatalf("identical trees gave %d changes", c.Len())
				}
			}
			b.ReportMetric(10000*float64(b.N)/b.Elapsed().Seconds(), "files/s")
		})
	}
}
