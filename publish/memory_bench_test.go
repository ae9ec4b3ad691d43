package publish

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// BenchmarkPublishMemoryByImageCount publishes 1, 5, 10 and 20 images that
// share a 16 MiB base (each adds 1 MiB), loaded from OCI layouts on disk as
// `stevedore publish --from oci:…` does, in one batch with 4 uploads at
// once. Reported besides -benchmem's allocations: the peak growth of live
// heap during a run (sampled), which should stay flat as the count grows:
// uploads stream from disk, so what grows with the count is only the
// per-image bookkeeping.
func BenchmarkPublishMemoryByImageCount(b *testing.B) {
	const baseSize, ownSize = 16 << 20, 1 << 20
	base := registrytest.BigImage(b, 1, baseSize)
	dir := b.TempDir()
	var srcs []Reference
	for i := range 20 {
		img, err := mutate.AppendLayers(base, registrytest.BigLayer(b, ownSize))
		if err != nil {
			b.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("img%02d", i))
		registrytest.WriteLayout(b, p, "v1", img)
		srcs = append(srcs, mustRef(b, "oci:"+p+":v1"))
	}
	ctx := context.Background()
	for _, n := range []int{1, 5, 10, 20} {
		b.Run(fmt.Sprintf("images=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var peak uint64
			for i := range b.N {
				b.StopTimer()
				host := diskRegistry(b) // empty each time
				var jobs []Job
				for j, src := range srcs[:n] {
					art, err := Load(ctx, src)
					if err != nil {
						b.Fatal(err)
					}
					jobs = append(jobs, Job{Artifact: art, Destinations: []Reference{mustRef(b, fmt.Sprintf("%s/r%d/app%02d", host, i, j))}})
				}
				runtime.GC()
				stop := sampleHeap(&peak)
				b.StartTimer()
				_, err := PublishAll(ctx, jobs, WithJobs(4))
				b.StopTimer()
				stop()
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}

// diskRegistry serves go-containerregistry's registry with its blobs on
// disk, so the heap measured is the publisher's, not the blobs the
// registry was sent.
func diskRegistry(b *testing.B) string {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithBlobHandler(registry.NewDiskBlobHandler(b.TempDir()))))
	b.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// sampleHeap records the largest growth of live heap over what it was at
// the start until stop is called. The registry serving the test runs in
// the same process, so its request handling is counted too: an upper
// bound on publish's own.
func sampleHeap(peak *uint64) (stop func()) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	start := sample[0].Value.Uint64()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > start && v-start > *peak {
				*peak = v - start
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
