package faultproxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRulesAndCounters(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer backend.Close()
	p := New(t, backend.URL, nil,
		Rule{Method: http.MethodPatch, Path: regexp.MustCompile(`/uploads/`), Every: 2, Status: http.StatusServiceUnavailable, RetryAfter: "1"})
	var codes []int
	for range 4 {
		resp, err := http.DefaultClient.Do(must(http.NewRequest(http.MethodPatch, "http://"+p.Host+"/v2/a/blobs/uploads/1", strings.NewReader("12345"))))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
	}
	if want := []int{202, 503, 202, 503}; !equal(codes, want) {
		t.Errorf("codes = %v, want %v", codes, want)
	}
	if n := p.BytesIn(http.MethodPatch, KindBlobUpload); n != 10 {
		t.Errorf("bytes in = %d, want 10 (faulted requests are not forwarded)", n)
	}
	if n := p.Count("", KindBlobUpload); n != 4 || p.Faults(0) != 2 {
		t.Errorf("count = %d, faults = %d", n, p.Faults(0))
	}
	p.SetRules(Rule{Drop: true})
	if _, err := http.Get("http://" + p.Host + "/v2/"); err == nil {
		t.Errorf("dropped connection answered")
	}
}

func TestKind(t *testing.T) {
	for path, want := range map[string]string{
		"/v2/":                   KindPing,
		"/v2/a/b/blobs/uploads/": KindBlobUpload,
		"/v2/a/blobs/sha256:00":  KindBlob,
		"/v2/a/manifests/v1":     KindManifest,
		"/v2/a/tags/list":        KindTags,
		"/token":                 KindOther,
	} {
		if got := Kind(path); got != want {
			t.Errorf("Kind(%q) = %q, want %q", path, got, want)
		}
	}
}

func must(r *http.Request, err error) *http.Request {
	if err != nil {
		panic(err)
	}
	return r
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDelayAndMaxInFlight(t *testing.T) {
	// The backend holds every request until three have reached it: the
	// proxy must have been serving exactly three at once.
	var mu sync.Mutex
	n := 0
	all := make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		if n++; n == 3 {
			close(all)
		}
		mu.Unlock()
		<-all
		w.WriteHeader(http.StatusAccepted)
	}))
	defer backend.Close()
	p := New(t, backend.URL, nil, Rule{Method: http.MethodPatch, Delay: time.Millisecond})
	done := make(chan int, 3)
	for range 3 {
		go func() {
			resp, err := http.DefaultClient.Do(must(http.NewRequest(http.MethodPatch, "http://"+p.Host+"/v2/a/blobs/uploads/1", strings.NewReader("x"))))
			if err != nil {
				done <- 0
				return
			}
			resp.Body.Close()
			done <- resp.StatusCode
		}()
	}
	for range 3 {
		if code := <-done; code != http.StatusAccepted {
			t.Fatalf("status %d", code)
		}
	}
	if n := p.MaxInFlight(http.MethodPatch, KindBlobUpload); n != 3 {
		t.Errorf("MaxInFlight = %d, want 3", n)
	}
	if n := p.MaxInFlight(http.MethodGet, KindBlobUpload); n != 0 {
		t.Errorf("MaxInFlight(GET) = %d, want 0", n)
	}
	if e := p.Entries()[0]; !e.Faulted || e.Status != http.StatusAccepted {
		t.Errorf("delayed request = %+v, want faulted and forwarded", e)
	}
}
