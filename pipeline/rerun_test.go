package pipeline

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sreevishnu07/stevedore/internal/faultproxy"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/sbom"
)

// rerunRequests releases dir's two images to a registry behind a counting
// proxy twice and returns what the second, unchanged, run asked of it.
func rerunRequests(t *testing.T, format string) *faultproxy.Proxy {
	t.Helper()
	dir := repo(t)
	px := faultproxy.New(t, "http://"+registrytest.InProcess(t), nil)
	cfg := config(t, px.Host+"/acme/IMAGE")
	cfg.Sign.Format = format
	signer, _ := testSigner(t)
	opts := releaseOpts(t, dir, signer, WithSBOMOptions(sbom.WithCacheDir(filepath.Join(dir, ".cache"))))
	first, err := Release(context.Background(), cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	px.Reset()
	again, err := Release(context.Background(), cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	for i, li := range again.Ledger.Images {
		if li.Digest != first.Ledger.Images[i].Digest {
			t.Fatalf("the re-run released %s, the first run %s", li.Digest, first.Ledger.Images[i].Digest)
		}
	}
	return px
}

// requestLog is the proxy's requests as "METHOD kind" counts, for failure
// messages.
func requestLog(px *faultproxy.Proxy) string {
	n := map[string]int{}
	for _, e := range px.Entries() {
		n[e.Method+" "+e.Kind]++
	}
	var out []string
	for k, v := range n {
		out = append(out, fmt.Sprintf("%s ×%d", k, v))
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// An unchanged re-run writes nothing to the registry: no blob, no
// manifest, no tag (each tag is asked for and left where it is), no
// signature or attestation; and every repository is pinged once, all steps
// sharing the push step's authenticated transport.
func TestUnchangedRerunWritesNothing(t *testing.T) {
	for _, format := range []string{FormatLegacy, FormatBoth} {
		t.Run(format, func(t *testing.T) {
			px := rerunRequests(t, format)
			log := requestLog(px)
			t.Logf("re-run requests: %d (%s)", len(px.Entries()), log)
			// (The plan step's push check opens an upload and cancels
			// it: a POST and a DELETE per repository.)
			for _, m := range []string{http.MethodPut, http.MethodPatch} {
				if n := px.Count(m, ""); n != 0 {
					t.Errorf("%d %s requests on an unchanged re-run, want none (%s)", n, m, log)
				}
			}
			// Two repositories, each pinged (and, on a registry with
			// tokens, handed one) by the plan step's push check, whose
			// transport every later step reuses.
			if n := px.Count(http.MethodGet, faultproxy.KindPing); n != 2 {
				t.Errorf("%d pings for 2 repositories, want 2 (%s)", n, log)
			}
		})
	}
}

// BenchmarkUnchangedRerun times a release of two images that are already
// released, built, pushed, cataloged, signed and tagged, and reports the
// registry requests it makes.
func BenchmarkUnchangedRerun(b *testing.B) {
	benchmarkUnchangedRerun(b, nil)
}

// rtt is the latency BenchmarkUnchangedRerunSlowRegistry gives every
// request: a registry across the internet rather than on loopback.
const rtt = 20 * time.Millisecond

// BenchmarkUnchangedRerunSlowRegistry is the same re-run against a registry
// that answers each request after rtt, as one across the internet does
// (a CI runner and GHCR or Docker Hub). round-trips/op counts the requests
// that waited on one another (requests made at once count as one);
// rtt-units/op is the wall time in units of rtt, the local work included.
func BenchmarkUnchangedRerunSlowRegistry(b *testing.B) {
	benchmarkUnchangedRerun(b, []faultproxy.Rule{{Delay: rtt}})
}

func benchmarkUnchangedRerun(b *testing.B, rules []faultproxy.Rule) {
	dir := repo(b)
	px := faultproxy.New(b, "http://"+registrytest.InProcess(b), nil, rules...)
	cfg := config(b, px.Host+"/acme/IMAGE")
	signer, _ := testSigner(b)
	opts := releaseOpts(b, dir, signer, WithSBOMOptions(sbom.WithCacheDir(filepath.Join(dir, ".cache"))))
	if _, err := Release(context.Background(), cfg, opts...); err != nil {
		b.Fatal(err)
	}
	px.Reset()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, err := Release(context.Background(), cfg, opts...); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(px.RoundTrips())/float64(b.N), "round-trips/op")
	if len(rules) > 0 {
		b.ReportMetric(float64(time.Since(start))/float64(b.N)/float64(rtt), "rtt-units/op")
	}
	b.ReportMetric(float64(len(px.Entries()))/float64(b.N), "requests/op")
	b.ReportMetric(float64(px.Count(http.MethodGet, faultproxy.KindPing))/float64(b.N), "pings/op")
	b.ReportMetric(float64(px.Count(http.MethodPut, faultproxy.KindManifest))/float64(b.N), "manifest-PUTs/op")
}
