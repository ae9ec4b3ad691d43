package publish

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

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

// BenchmarkPublishManySharedBase publishes 20 images that share a 16 MiB
// base (each adds 256 KiB of its own), each to its own repository, in one
// batch with 4 uploads at once against one image after the other (what a
// loop of single pushes does). Reported: time per run of all 20 and the
// blob bytes sent.
func BenchmarkPublishManySharedBase(b *testing.B) {
	const images = 20
	base := registrytest.BigImage(b, 1, 16<<20)
	var arts []Artifact
	for range images {
		img, err := mutate.AppendLayers(base, registrytest.BigLayer(b, 256<<10))
		if err != nil {
			b.Fatal(err)
		}
		art, err := NewArtifact(img)
		if err != nil {
			b.Fatal(err)
		}
		arts = append(arts, art)
	}
	ctx := context.Background()
	d := registrytest.StartDistribution(b)
	px := faultproxy.New(b, "https://"+d.Host, d.Transport)
	opts := []Option{WithKeychain(Keychain("", map[string]authn.AuthConfig{px.Host: {Username: d.Username, Password: d.Password}}))}
	run := 0
	jobs := func() []Job {
		run++
		var js []Job
		for i, a := range arts {
			js = append(js, Job{Artifact: a, Destinations: []Reference{mustRef(b, fmt.Sprintf("%s/run%d/app%02d", px.Host, run, i))}})
		}
		return js
	}
	report := func(b *testing.B) {
		b.ReportMetric(float64(px.BytesIn(http.MethodPatch, faultproxy.KindBlobUpload))/float64(b.N)/(1<<20), "blob-MiB/op")
	}
	b.Run("batch-jobs4", func(b *testing.B) {
		px.Reset()
		for range b.N {
			if _, err := PublishAll(ctx, jobs(), append(opts, WithJobs(4))...); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
	b.Run("sequential", func(b *testing.B) {
		px.Reset()
		for range b.N {
			for _, j := range jobs() {
				if _, err := PublishArtifact(ctx, j.Artifact, j.Destinations, nil, opts...); err != nil {
					b.Fatal(err)
				}
			}
		}
		report(b)
	})
}
