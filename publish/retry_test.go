package publish

import (
	"errors"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/sreevishnu07/stevedore/internal/faultproxy"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"1", time.Second, true},
		{"0", 0, true},
		{"3600", time.Hour, true},
		{now.Add(10 * time.Second).Format(http.TimeFormat), 10 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"", 0, false},
		{"-1", 0, false},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		got, ok := retryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("retryAfter(%q) = %v %v, want %v %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if d := backoff(time.Second, 30); d != MaxRetryWait {
		t.Errorf("backoff not capped: %v", d)
	}
}

var uploads = regexp.MustCompile(`/blobs/uploads/`)
var manifests = regexp.MustCompile(`/manifests/`)

func TestRetryHonoursRetryAfter(t *testing.T) {
	ctx := testCtx(t)
	px := faultproxy.New(t, "http://"+registrytest.InProcess(t), nil,
		faultproxy.Rule{Method: http.MethodPost, Path: uploads, Times: 1, Status: http.StatusTooManyRequests, RetryAfter: "1"})
	src, _ := layoutWith(t, "v1", registrytest.Image(t, 1, 256))
	if _, err := Publish(ctx, src, []Reference{mustRef(t, px.Host+"/app:v1")}, nil, fast, WithJobs(1)); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	entries := px.Entries()
	for i, e := range entries {
		if !e.Faulted {
			continue
		}
		for _, next := range entries[i+1:] {
			if next.Method == e.Method && next.Kind == e.Kind {
				if gap := next.At.Sub(e.Done); gap < time.Second {
					t.Errorf("retried after %v, want ≥ 1s (Retry-After: 1)", gap)
				}
				return
			}
		}
		t.Fatalf("faulted request was never retried")
	}
	t.Fatalf("no request was faulted")
}

func TestRetry503EveryThirdUpload(t *testing.T) {
	ctx := testCtx(t)
	host := registrytest.InProcess(t)
	px := faultproxy.New(t, "http://"+host, nil,
		faultproxy.Rule{Path: uploads, Every: 3, Status: http.StatusServiceUnavailable})
	src, h := layoutWith(t, "v1", registrytest.Index(t, 2, 3, 512))
	// One job keeps the upload requests in sequence, so a retry is never
	// itself the third request: with parallel uploads the same request could
	// be unlucky every time and the test would be flaky.
	if _, err := Publish(ctx, src, []Reference{mustRef(t, px.Host+"/app:v1")}, nil, fast, WithJobs(1)); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if px.Faults(0) == 0 {
		t.Fatalf("no fault injected")
	}
	if got, ok := remoteDigest(t, host+"/app:v1"); !ok || got != h {
		t.Errorf("app:v1 = %v %v", got, ok)
	}
}

func TestRetryDroppedUploadRestarts(t *testing.T) {
	ctx := testCtx(t)
	host := registrytest.InProcess(t)
	px := faultproxy.New(t, "http://"+host, nil,
		faultproxy.Rule{Method: http.MethodPatch, Path: uploads, Times: 1, Drop: true})
	src, h := layoutWith(t, "v1", registrytest.Image(t, 2, 64<<10))
	if _, err := Publish(ctx, src, []Reference{mustRef(t, px.Host+"/app:v1")}, nil, fast); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if px.Faults(0) != 1 {
		t.Fatalf("faults = %d", px.Faults(0))
	}
	if got, ok := remoteDigest(t, host+"/app:v1"); !ok || got != h {
		t.Errorf("app:v1 = %v %v", got, ok)
	}
}

func TestRetryForbiddenFailsAtOnce(t *testing.T) {
	ctx := testCtx(t)
	px := faultproxy.New(t, "http://"+registrytest.InProcess(t), nil,
		faultproxy.Rule{Method: http.MethodPut, Path: manifests, Status: http.StatusForbidden})
	src, _ := layoutWith(t, "v1", registrytest.Image(t, 1, 128))
	_, err := Publish(ctx, src, []Reference{mustRef(t, px.Host+"/app:v1")}, nil, fast)
	if !errors.Is(err, ErrDenied) {
		t.Fatalf("err = %v, want ErrDenied", err)
	}
	if n := px.Count(http.MethodPut, faultproxy.KindManifest); n != 1 {
		t.Errorf("manifest PUT attempted %d times, want 1", n)
	}
}

func TestGHCRDeniedHint(t *testing.T) {
	if h := deniedHint("ghcr.io", 403); !regexpMust(`permissions: packages: write`).MatchString(h) || !regexpMust(`Manage Actions access`).MatchString(h) {
		t.Errorf("ghcr hint = %q", h)
	}
	if h := deniedHint("index.docker.io", 401); !regexpMust(`Read & Write`).MatchString(h) {
		t.Errorf("hub hint = %q", h)
	}
}

func regexpMust(s string) *regexp.Regexp { return regexp.MustCompile(regexp.QuoteMeta(s)) }

// A destination whose manifest PUT keeps failing: Publish fails, no tag
// moves at any destination, and the re-run sends no blob bytes again.
func TestFailedDestinationMovesNoTag(t *testing.T) {
	ctx := testCtx(t)
	good := registrytest.InProcess(t)
	badHost := registrytest.InProcess(t)
	px := faultproxy.New(t, "http://"+badHost, nil,
		faultproxy.Rule{Method: http.MethodPut, Path: manifests, Status: http.StatusInternalServerError})

	// Both destinations start with "stable" on an old image.
	oldSrc, oldH := layoutWith(t, "old", registrytest.Image(t, 1, 128))
	if _, err := Publish(ctx, oldSrc, []Reference{mustRef(t, good+"/app:stable"), mustRef(t, badHost+"/app:stable")}, nil); err != nil {
		t.Fatalf("seeding: %v", err)
	}

	src, h := layoutWith(t, "new", registrytest.Image(t, 3, 32<<10))
	dsts := []Reference{mustRef(t, good+"/app:stable"), mustRef(t, px.Host+"/app:stable")}
	_, err := Publish(ctx, src, dsts, []string{"v2"}, fast)
	if err == nil {
		t.Fatalf("Publish succeeded through a failing registry")
	}
	if !errors.Is(err, ErrUnavailable) || !regexpMust(px.Host+"/app").MatchString(err.Error()) {
		t.Errorf("err = %v, want ErrUnavailable naming %s", err, px.Host)
	}
	for _, host := range []string{good, badHost} {
		if got, _ := remoteDigest(t, host+"/app:stable"); got != oldH {
			t.Errorf("%s/app:stable moved to %v", host, got)
		}
		if _, ok := remoteDigest(t, host+"/app:v2"); ok {
			t.Errorf("%s/app:v2 exists", host)
		}
	}
	if px.BytesIn("", faultproxy.KindBlobUpload) == 0 {
		t.Fatalf("blobs were not uploaded before the manifest failed")
	}

	// Re-run after the registry recovers: nothing re-sent.
	px.SetRules()
	px.Reset()
	if _, err := Publish(ctx, src, dsts, []string{"v2"}, fast); err != nil {
		t.Fatalf("re-run: %v", err)
	}
	if n := px.BytesIn("", faultproxy.KindBlobUpload); n != 0 {
		t.Errorf("re-run sent %d blob-upload bytes, want 0", n)
	}
	for _, host := range []string{good, badHost} {
		if got, _ := remoteDigest(t, host+"/app:stable"); got != h {
			t.Errorf("%s/app:stable = %v after re-run, want %v", host, got, h)
		}
	}
}

func TestContextCancelStopsPublish(t *testing.T) {
	ctx := testCtx(t)
	px := faultproxy.New(t, "http://"+registrytest.InProcess(t), nil,
		faultproxy.Rule{Path: uploads, Status: http.StatusTooManyRequests, RetryAfter: "30"})
	src, _ := layoutWith(t, "v1", registrytest.Image(t, 1, 128))
	cctx, cancel := contextWithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Publish(cctx, src, []Reference{mustRef(t, px.Host+"/app")}, nil, fast)
	if err == nil {
		t.Fatalf("Publish succeeded")
	}
	if time.Since(start) > 20*time.Second {
		t.Errorf("cancellation did not stop the wait on Retry-After")
	}
}
