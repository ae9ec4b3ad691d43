package publish

import (
	"context"
	"testing"

	"github.com/sreevishnu07/stevedore/internal/faultproxy"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// BenchmarkPublishLayoutToRegistry pushes 4 × 64 MiB layers from a layout
// to the in-process registry; MB/s is reported via SetBytes.
func BenchmarkPublishLayoutToRegistry(b *testing.B) {
	const layers, size = 4, 64 << 20
	src, _ := layoutWith(b, "v1", registrytest.BigImage(b, layers, size))
	ctx := context.Background()
	b.SetBytes(layers * size)
	b.ResetTimer()
	for i := range b.N {
		host := registrytest.InProcess(b) // empty registry each time
		_ = i
		if _, err := Publish(ctx, src, []Reference{mustRef(b, host+"/bench:v1")}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRepublishUnchanged reports the requests and bytes a re-publish of
// content the registry already holds costs (ideally zero blob bytes).
func BenchmarkRepublishUnchanged(b *testing.B) {
	src, _ := layoutWith(b, "v1", registrytest.BigImage(b, 4, 1<<20))
	ctx := context.Background()
	px := faultproxy.New(b, "http://"+registrytest.InProcess(b), nil)
	dst := []Reference{mustRef(b, px.Host+"/bench:v1")}
	if _, err := Publish(ctx, src, dst, nil); err != nil {
		b.Fatal(err)
	}
	px.Reset()
	b.ResetTimer()
	for range b.N {
		if _, err := Publish(ctx, src, dst, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(px.Count("", ""))/float64(b.N), "requests/op")
	b.ReportMetric(float64(px.BytesIn("", ""))/float64(b.N), "bytes-sent/op")
	b.ReportMetric(float64(px.BytesIn("", faultproxy.KindBlobUpload))/float64(b.N), "blob-bytes/op")
}
