package builder

// Benchmarks (reported, never asserted). The budgets in DESIGN.md: a
// COPY-heavy context of 10,000 files / ~200 MB cold in under 4 s, a fully
// cached rebuild in under 100 ms.
//
//	go test ./build/ -run '^$' -bench . -benchtime 3x

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

const (
	benchFiles = 10_000
	benchBytes = 200 << 20
)

// copyHeavyContext writes a context of n files totalling about size bytes
// into dir: 100 directories, sizes varying around the mean, half the files
// random (incompressible) and half text (compressible), the same bytes on
// every call. It returns the bytes written.
func copyHeavyContext(tb testing.TB, dir string, n int, size int64) int64 {
	tb.Helper()
	rng := rand.New(rand.NewChaCha8([32]byte{'s', 't', 'e', 'v', 'e'}))
	words := strings.Fields("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua")
	mean := size / int64(n)
	var total int64
	buf := make([]byte, 0, 4*mean)
	for i := range n {
		sz := mean/2 + rng.Int64N(mean) // mean/2 .. 3*mean/2
		buf = buf[:0]
		if i%2 == 0 {
			buf = buf[:sz]
			for j := 0; j+8 <= len(buf); j += 8 {
				v := rng.Uint64()
				for k := range 8 {
					buf[j+k] = byte(v >> (8 * k))
				}
			}
		} else {
			for int64(len(buf)) < sz {
				buf = append(buf, words[rng.IntN(len(words))]...)
				buf = append(buf, ' ')
				if rng.IntN(12) == 0 {
					buf = append(buf, '\n')
				}
			}
			buf = buf[:sz]
		}
		p := filepath.Join(dir, fmt.Sprintf("d%02d", i%100), fmt.Sprintf("f%05d.dat", i))
		if i < 100 {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				tb.Fatal(err)
			}
		}
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			tb.Fatal(err)
		}
		total += sz
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY . /src\n"), 0o644); err != nil {
		tb.Fatal(err)
	}
	// Files changed within the last moment may be re-hashed however their
	// metadata looks (their sums could be racy); a real context was not
	// all written a millisecond ago.
	time.Sleep(2 * time.Second)
	return total
}

func benchBuild(b *testing.B, ctxDir, cache string, opts ...Option) *Result {
	b.Helper()
	res, err := Build(context.Background(), append([]Option{
		WithContextDir(ctxDir), WithCacheDir(cache), WithEpoch(time.Unix(1700000000, 0)),
	}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	return res
}

// BenchmarkBuildCopyHeavyCold builds FROM scratch / COPY . /src with an
// empty cache every iteration: hashing, tar and compression of ~200 MB.
func BenchmarkBuildCopyHeavyCold(b *testing.B) {
	ctxDir := b.TempDir()
	total := copyHeavyContext(b, ctxDir, benchFiles, benchBytes)
	caches := b.TempDir()
	b.SetBytes(total)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cache := filepath.Join(caches, fmt.Sprint(i))
		benchBuild(b, ctxDir, cache)
		b.StopTimer()
		os.RemoveAll(cache)
		b.StartTimer()
	}
}

// BenchmarkBuildCached rebuilds the same context with the cache of a first
// build: nothing changed, so no file is hashed again and no layer written.
func BenchmarkBuildCached(b *testing.B) {
	ctxDir := b.TempDir()
	copyHeavyContext(b, ctxDir, benchFiles, benchBytes)
	cache := b.TempDir()
	benchBuild(b, ctxDir, cache)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res := benchBuild(b, ctxDir, cache)
		for _, s := range res.Steps {
			if s.Status != StatusCached {
				b.Fatalf("the cached rebuild ran %s (%s)", s.Instruction, s.Reason)
			}
		}
	}
}

const benchMultiStage = `FROM BASE AS deps
RUN mkdir -p /deps && echo dep > /deps/a
FROM BASE AS build
COPY src/ /src/
RUN cat /src/* > /out
FROM BASE AS test
COPY --from=build /out /out
RUN test -s /out
FROM scratch
COPY --from=deps /deps /deps
COPY --from=build /out /app/out
`

// BenchmarkBuildMultiStageCached rebuilds a 4-stage Dockerfile with RUN
// steps, fully cached (DESIGN.md: BuildKit 0.18 s, budget 100 ms).
func BenchmarkBuildMultiStageCached(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("skipping: RUN steps need root here")
	}
	base := registrytest.ServeBusybox(b)
	ctxDir := b.TempDir()
	for i := range 20 {
		p := filepath.Join(ctxDir, "src", fmt.Sprintf("f%d.txt", i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(fmt.Sprintf("file %d\n", i)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte(strings.ReplaceAll(benchMultiStage, "BASE", base)), 0o644); err != nil {
		b.Fatal(err)
	}
	cache := b.TempDir()
	benchBuild(b, ctxDir, cache)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res := benchBuild(b, ctxDir, cache)
		for _, s := range res.Steps {
			if s.Status != StatusCached {
				b.Fatalf("the cached rebuild ran %s (%s)", s.Instruction, s.Reason)
			}
		}
	}
}
