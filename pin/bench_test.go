package pin

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// BenchmarkCheckTree scans and checks a generated tree of 1,000 manifests
// (a Deployment with comments, an anchor and three containers each).
func BenchmarkCheckTree(b *testing.B) {
	dir := b.TempDir()
	const files = 1000
	for i := range files {
		writeFile(b, dir, fmt.Sprintf("team%02d/app%04d.yaml", i%20, i), fmt.Sprintf(`# app %d
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app%d
spec:
  replicas: 2
  template:
    spec:
      initContainers:
        - name: init
          image: &img ghcr.io/acme/app%d:1.%d.0
      containers:
        - name: app
          image: *img
          ports: [{containerPort: 8080}]
        - name: proxy
          image: "docker.io/envoyproxy/envoy:v1.30.1@sha256:%s"
        - name: log
          image: fluent/fluent-bit:3.0 # sidecar
`, i, i, i, i, digestOf('e').Hex))
	}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		fs, err := Check(ctx, []string{dir})
		if err != nil {
			b.Fatal(err)
		}
		if len(fs) != 2*files {
			b.Fatalf("%d findings", len(fs))
		}
	}
	b.ReportMetric(float64(files*b.N)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkResolve100 resolves 100 distinct references against the
// in-process registry with DefaultJobs lookups in flight.
func BenchmarkResolve100(b *testing.B) {
	host := registrytest.InProcess(b)
	img := registrytest.Image(b, 1, 32)
	var refs []name.Reference
	for i := range 100 {
		ref := fmt.Sprintf("%s/acme/app:v%d", host, i)
		push(b, ref, img)
		refs = append(refs, mustRef(b, ref))
	}
	r := NewRegistryResolver()
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		got, err := ResolveAll(ctx, r, refs, DefaultJobs)
		if err != nil || len(got) != 100 {
			b.Fatalf("%d, %v", len(got), err)
		}
	}
	b.ReportMetric(float64(100*b.N)/b.Elapsed().Seconds(), "refs/s")
}
