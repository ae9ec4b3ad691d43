package publish

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sreevishnu07/stevedore/internal/faultproxy"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

const wrongDigest = "sha256:0000000000000000000000000000000000000000000000000000000000000000"

// A source registry answering 200 with a wrong Docker-Content-Digest on the
// manifest: the load fails clearly (or verifies the body), nothing is
// published and no tag moves.
func TestWrongContentDigestFromSource(t *testing.T) {
	ctx := testCtx(t)
	srcHost := registrytest.InProcess(t)
	src0, h := layoutWith(t, "v1", registrytest.Image(t, 1, 256))
	if _, err := Publish(ctx, src0, []Reference{mustRef(t, srcHost+"/app:v1")}, nil); err != nil {
		t.Fatalf("seeding: %v", err)
	}
	px := faultproxy.New(t, "http://"+srcHost, nil,
		faultproxy.Rule{Path: manifests, Header: http.Header{"Docker-Content-Digest": {wrongDigest}}})
	dst := registrytest.InProcess(t)
	res, err := Publish(ctx, mustRef(t, px.Host+"/app:v1"), []Reference{mustRef(t, dst+"/app:v1")}, nil, fast)
	if px.Faults(0) == 0 {
		t.Fatalf("no answer carried the wrong digest")
	}
	if err == nil {
		// Recovery is acceptable only if what was published is the real content.
		if res.Destinations[0].Digest != h.String() {
			t.Fatalf("published %s, want %s", res.Destinations[0].Digest, h)
		}
		if got, ok := remoteDigest(t, dst+"/app:v1"); !ok || got != h {
			t.Fatalf("dst app:v1 = %v %v", got, ok)
		}
		return
	}
	t.Logf("error: %v", err)
	if _, ok := remoteDigest(t, dst+"/app:v1"); ok {
		t.Errorf("tag moved after a failed publish")
	}
}

// A destination answering the manifest PUT with a wrong digest header.
func TestWrongContentDigestFromDestination(t *testing.T) {
	ctx := testCtx(t)
	host := registrytest.InProcess(t)
	px := faultproxy.New(t, "http://"+host, nil,
		faultproxy.Rule{Method: http.MethodPut, Path: manifests, Header: http.Header{"Docker-Content-Digest": {wrongDigest}}})
	src, h := layoutWith(t, "v1", registrytest.Image(t, 1, 256))
	res, err := Publish(ctx, src, []Reference{mustRef(t, px.Host+"/app:v1")}, nil, fast)
	if px.Faults(0) == 0 {
		t.Fatalf("no answer carried the wrong digest")
	}
	if err != nil {
		t.Logf("error: %v", err)
		return
	}
	if res.Destinations[0].Digest != h.String() {
		t.Errorf("result digest %s, want %s (the content's, not the header's)", res.Destinations[0].Digest, h)
	}
	if got, ok := remoteDigest(t, host+"/app:v1"); !ok || got != h {
		t.Errorf("app:v1 = %v %v", got, ok)
	}
}

// A registry whose manifest endpoint redirects to itself forever: a clear
// error naming the reference, not a hang, and nothing published.
func TestRedirectLoopFailsClearly(t *testing.T) {
	ctx := testCtx(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			w.WriteHeader(http.StatusOK)
			return
		}
		http.Redirect(w, r, r.URL.String(), http.StatusTemporaryRedirect)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	dst := t.TempDir()
	done := make(chan error, 1)
	go func() {
		_, err := Publish(ctx, mustRef(t, host+"/app:v1"), []Reference{mustRef(t, "oci:"+dst)}, nil, fast)
		done <- err
	}()
	select {
	case err := <-done:
		t.Logf("error: %v", err)
		if err == nil || !strings.Contains(err.Error(), host+"/app:v1") || !strings.Contains(err.Error(), "redirect") {
			t.Fatalf("err = %v, want a redirect error naming %s/app:v1", err, host)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("Publish hung on a redirect loop")
	}
	if _, err := os.Stat(filepath.Join(dst, "index.json")); err == nil {
		t.Errorf("layout written after a failed load")
	}
}

// A registry whose token endpoint accepts the connection and never answers:
// bounded by the response timeout, a clear error naming it, no tag.
func TestHangingTokenEndpointTimesOut(t *testing.T) {
	ctx := testCtx(t)
	release := make(chan struct{})
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+srv.URL+`/token",service="test"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	host := strings.TrimPrefix(srv.URL, "http://")
	src, _ := layoutWith(t, "v1", registrytest.Image(t, 1, 128))
	start := time.Now()
	_, err := Publish(ctx, src, []Reference{mustRef(t, host+"/app:v1")}, nil, fast, WithResponseTimeout(500*time.Millisecond))
	if err == nil {
		t.Fatalf("Publish succeeded against a hanging token endpoint")
	}
	t.Logf("error: %v", err)
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %v", d)
	}
	if !strings.Contains(err.Error(), "did not answer within 500ms") || !strings.Contains(err.Error(), "token request") || !strings.Contains(err.Error(), host) {
		t.Errorf("err = %v, want a timeout naming %s", err, host)
	}
}
