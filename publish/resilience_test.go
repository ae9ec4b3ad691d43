package publish

import (
	"errors"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/internal/faultproxy"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

type eventLog struct {
	mu sync.Mutex
	ev []RetryEvent
}

func (l *eventLog) add(e RetryEvent) { l.mu.Lock(); l.ev = append(l.ev, e); l.mu.Unlock() }
func (l *eventLog) all() []RetryEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]RetryEvent(nil), l.ev...)
}

// The registry stores the blob on the commit PUT and the answer is lost:
// the retry must HEAD the blob (it is there) instead of replaying the PUT
// on the closed session, which a registry answers DIGEST_INVALID.
func TestLostResponseAfterCommitChecksBlobFirst(t *testing.T) {
	ctx := testCtx(t)
	host := registrytest.InProcess(t)
	commit := regexp.MustCompile(`/blobs/uploads/.+`)
	px := faultproxy.New(t, "http://"+host, nil,
		faultproxy.Rule{Method: http.MethodPut, Path: commit, Times: 1, DropResponse: true})
	src, h := layoutWith(t, "v1", registrytest.Image(t, 1, 64<<10))
	var log eventLog
	if _, err := Publish(ctx, src, []Reference{mustRef(t, px.Host+"/app:v1")}, nil, fast, WithJobs(1), WithRetryEvents(log.add)); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if px.Faults(0) != 1 {
		t.Fatalf("faults = %d, want 1", px.Faults(0))
	}
	// After the lost answer the next request for that blob is a HEAD, and
	// no commit PUT is replayed on the same session.
	entries := px.Entries()
	seenFault := false
	var lostPath string
	for _, e := range entries {
		if e.Faulted {
			seenFault, lostPath = true, e.Path
			continue
		}
		if seenFault && e.Method == http.MethodPut && e.Path == lostPath {
			t.Errorf("commit PUT replayed on the same session %s", e.Path)
		}
	}
	heads := 0
	for _, e := range entries {
		if e.Method == http.MethodHead && e.Kind == faultproxy.KindBlob {
			heads++
		}
	}
	if heads < 3 { // 2 initial existence checks (layer, config) + 1 after the loss
		t.Errorf("blob HEADs = %d, want ≥ 3 (a check after the lost answer)", heads)
	}
	if got, ok := remoteDigest(t, host+"/app:v1"); !ok || got != h {
		t.Errorf("app:v1 = %v %v", got, ok)
	}
	found := false
	for _, e := range log.all() {
		if e.Request == "blob upload commit" && e.Registry == px.Host {
			found = true
		}
	}
	if !found {
		t.Errorf("no retry event for the lost commit: %v", log.all())
	}
}

// Retry-After beyond the cap: fail at once, naming the registry, the wait
// and the fix; nothing sleeps the cap.
func TestRetryAfterBeyondCapFailsAtOnce(t *testing.T) {
	ctx := testCtx(t)
	px := faultproxy.New(t, "http://"+registrytest.InProcess(t), nil,
		faultproxy.Rule{Method: http.MethodPost, Path: uploads, Status: http.StatusTooManyRequests, RetryAfter: "3600"})
	src, _ := layoutWith(t, "v1", registrytest.Image(t, 1, 128))
	var log eventLog
	start := time.Now()
	_, err := Publish(ctx, src, []Reference{mustRef(t, px.Host+"/app:v1")}, nil, fast, WithJobs(1), WithRetryEvents(log.add))
	if err == nil {
		t.Fatalf("Publish succeeded")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v: waited instead of failing", d)
	}
	msg := err.Error()
	for _, want := range []string{px.Host, "rate limited", "1h0m0s", "stevedore login"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("err not ErrUnavailable: %v", err)
	}
	if n := px.Count(http.MethodPost, faultproxy.KindBlobUpload); n != 1 {
		t.Errorf("upload POSTs = %d, want 1", n)
	}
	ev := log.all()
	if len(ev) == 0 || !ev[len(ev)-1].GaveUp || ev[len(ev)-1].Wait != time.Hour {
		t.Errorf("events = %v, want a give-up with the requested wait", ev)
	}
	if _, ok := remoteDigest(t, px.Host+"/app:v1"); ok {
		t.Errorf("tag moved")
	}
}

func TestPlain429SaysRateLimited(t *testing.T) {
	ctx := testCtx(t)
	px := faultproxy.New(t, "http://"+registrytest.InProcess(t), nil,
		faultproxy.Rule{Method: http.MethodPost, Path: uploads, Status: http.StatusTooManyRequests})
	src, _ := layoutWith(t, "v1", registrytest.Image(t, 1, 128))
	var log eventLog
	_, err := Publish(ctx, src, []Reference{mustRef(t, px.Host+"/app:v1")}, nil, fast, WithJobs(1), WithRetryEvents(log.add))
	if err == nil || !strings.Contains(err.Error(), "rate limited") || !strings.Contains(err.Error(), px.Host) {
		t.Fatalf("err = %v, want rate limited naming %s", err, px.Host)
	}
	retries, gaveUp := 0, 0
	for _, e := range log.all() {
		if e.GaveUp {
			gaveUp++
		} else if e.Wait > 0 {
			retries++
		}
	}
	if retries == 0 || gaveUp == 0 {
		t.Errorf("events = %v, want retries with waits and a give-up", log.all())
	}
}

// MANIFEST_BLOB_UNKNOWN right after the blobs were committed: a short
// bounded retry succeeds; a blob that stays unknown still fails soon.
func TestManifestBlobUnknownRetried(t *testing.T) {
	ctx := testCtx(t)
	host := registrytest.InProcess(t)
	px := faultproxy.New(t, "http://"+host, nil,
		faultproxy.Rule{Method: http.MethodPut, Path: manifests, Times: 2, Status: http.StatusBadRequest, Code: "MANIFEST_BLOB_UNKNOWN"})
	src, h := layoutWith(t, "v1", registrytest.Image(t, 1, 128))
	if _, err := Publish(ctx, src, []Reference{mustRef(t, px.Host+"/app:v1")}, nil, fast); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if px.Faults(0) != 2 {
		t.Errorf("faults = %d, want 2", px.Faults(0))
	}
	if got, ok := remoteDigest(t, host+"/app:v1"); !ok || got != h {
		t.Errorf("app:v1 = %v %v", got, ok)
	}

	// Always unknown: bounded.
	px.SetRules(faultproxy.Rule{Method: http.MethodPut, Path: manifests, Status: http.StatusBadRequest, Code: "MANIFEST_BLOB_UNKNOWN"})
	px.Reset()
	src2, _ := layoutWith(t, "v2", registrytest.Image(t, 1, 256))
	_, err := Publish(ctx, src2, []Reference{mustRef(t, px.Host+"/app:v2")}, nil, fast)
	if err == nil {
		t.Fatalf("Publish succeeded with a manifest blob always unknown")
	}
	if n := px.Count(http.MethodPut, faultproxy.KindManifest); n != manifestBlobUnknownAttempts {
		t.Errorf("manifest PUTs = %d, want %d", n, manifestBlobUnknownAttempts)
	}
	// Other 400s are not retried.
	px.SetRules(faultproxy.Rule{Method: http.MethodPut, Path: manifests, Status: http.StatusBadRequest})
	px.Reset()
	if _, err := Publish(ctx, src2, []Reference{mustRef(t, px.Host+"/app:v2")}, nil, fast); err == nil {
		t.Fatalf("Publish succeeded")
	}
	if n := px.Count(http.MethodPut, faultproxy.KindManifest); n != 1 {
		t.Errorf("MANIFEST_INVALID PUTs = %d, want 1", n)
	}
}

// The same lost commit answer in front of CNCF distribution (the registry
// behind most hosted ones), with basic auth.
func TestLostResponseAfterCommitDistribution(t *testing.T) {
	ctx := testCtx(t)
	d := registrytest.StartDistribution(t)
	px := faultproxy.New(t, "https://"+d.Host, d.Transport,
		faultproxy.Rule{Method: http.MethodPut, Path: regexp.MustCompile(`/blobs/uploads/.+`), Times: 1, DropResponse: true})
	src, h := layoutWith(t, "v1", registrytest.Image(t, 1, 64<<10))
	kc := WithKeychain(Keychain("", map[string]authn.AuthConfig{px.Host: {Username: d.Username, Password: d.Password}}))
	if _, err := Publish(ctx, src, []Reference{mustRef(t, px.Host+"/app:v1")}, nil, fast, WithJobs(1), kc); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if px.Faults(0) != 1 {
		t.Fatalf("faults = %d, want 1", px.Faults(0))
	}
	ropts := []remote.Option{remote.WithTransport(d.Transport), remote.WithAuth(&authn.Basic{Username: d.Username, Password: d.Password})}
	if got, ok := remoteDigest(t, d.Host+"/app:v1", ropts...); !ok || got != h {
		t.Errorf("app:v1 = %v %v", got, ok)
	}
}
