// Package faultproxy is a reverse proxy in front of a loopback registry that
// injects faults by rule (status codes with Retry-After, every Nth request,
// dropped connections, delays) and counts requests and request-body bytes per
// method and kind of registry request, so tests can assert what a client
// actually sent (for example zero blob-upload bytes on a re-run).
package faultproxy

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Kinds of registry requests, from the path.
const (
	KindBlobUpload = "blob-upload" // /v2/…/blobs/uploads/…
	KindBlob       = "blob"        // /v2/…/blobs/sha256:…
	KindManifest   = "manifest"    // /v2/…/manifests/…
	KindTags       = "tags"
	KindPing       = "ping" // /v2/
	KindOther      = "other"
)

// Kind classifies a registry request path.
func Kind(path string) string {
	switch {
	case path == "/v2/" || path == "/v2":
		return KindPing
	case strings.Contains(path, "/blobs/uploads"):
		return KindBlobUpload
	case strings.Contains(path, "/blobs/"):
		return KindBlob
	case strings.Contains(path, "/manifests/"):
		return KindManifest
	case strings.HasSuffix(path, "/tags/list"):
		return KindTags
	}
	return KindOther
}

// Rule injects a fault into matching requests.
type Rule struct {
	Method string         // "" matches any method
	Path   *regexp.Regexp // nil matches any path
	Every  int            // fault every Nth match (0 or 1: every match)
	Times  int            // stop after this many faults (0: unlimited)

	Status     int    // respond with this status (ignored when Drop)
	Code       string // registry error code in the body (default: one fitting Status)
	RetryAfter string // Retry-After header value, if any
	Drop       bool   // close the connection without answering
	// DropResponse forwards the request to the registry (which acts on it)
	// and then closes the connection instead of relaying the answer: the
	// "lost response after commit" a crashed load balancer produces.
	DropResponse bool
	// Header sets response headers on the proxied answer (with
	// DropResponse false and Status 0): a registry answering 200 with a
	// wrong Docker-Content-Digest, say.
	Header http.Header
	// Delay holds the request this long before acting on it: a slow
	// registry, so that overlapping requests can be observed.
	Delay time.Duration
}

// Entry is one request as the proxy saw it.
type Entry struct {
	Method  string
	Path    string
	Query   string // raw query: ?digest= of an upload commit, ?mount= of a mount
	Kind    string
	At      time.Time // arrival
	Done    time.Time // response written (fault) or proxied
	Status  int       // 0 for dropped
	Faulted bool
	BytesIn int64
}

// Proxy is a running fault-injecting reverse proxy on 127.0.0.1.
type Proxy struct {
	// Host is "127.0.0.1:PORT"; clients address the registry through it.
	Host string

	mu      sync.Mutex
	rules   []*ruleState
	entries []Entry
	// inFlight and maxInFlight count requests being served, per
	// "METHOD kind", so a test can see how many uploads ran at once.
	inFlight, maxInFlight map[string]int
}

type ruleState struct {
	Rule
	matches, faults int
}

// maxEntries bounds the request log of a long benchmark.
const maxEntries = 100000

// New starts a proxy to target ("http://127.0.0.1:PORT" or https with
// transport trusting it). Only loopback targets are accepted. base may be
// nil for plain HTTP targets.
func New(t testing.TB, target string, base http.RoundTripper, rules ...Rule) *Proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		t.Fatalf("faultproxy: bad target %q", target)
	}
	ip := net.ParseIP(u.Hostname())
	if u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		t.Fatalf("faultproxy: target %q is not loopback", target)
	}
	if base == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.Proxy = nil
		base = tr
	}
	p := &Proxy{inFlight: map[string]int{}, maxInFlight: map[string]int{}}
	p.SetRules(rules...)
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			// Registries build absolute Location URLs from Host and
			// X-Forwarded-Proto: keep them pointing at the proxy.
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
		},
		Transport: base,
		ErrorLog:  log.New(io.Discard, "", 0),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.serve(w, r, rp)
	}))
	t.Cleanup(srv.Close)
	p.Host = strings.TrimPrefix(srv.URL, "http://")
	return p
}

// SetRules replaces the rules (and their counters).
func (p *Proxy) SetRules(rules ...Rule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = nil
	for _, r := range rules {
		p.rules = append(p.rules, &ruleState{Rule: r})
	}
}

type countingReader struct {
	r  io.ReadCloser
	n  *int64
	mu *sync.Mutex
}

func (c countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.mu.Lock()
	*c.n += int64(n)
	c.mu.Unlock()
	return n, err
}

func (c countingReader) Close() error { return c.r.Close() }

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request, rp *httputil.ReverseProxy) {
	e := &Entry{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Kind: Kind(r.URL.Path), At: time.Now()}
	rule := p.match(r)
	key := e.Method + " " + e.Kind
	p.mu.Lock()
	p.inFlight[key]++
	p.maxInFlight[key] = max(p.maxInFlight[key], p.inFlight[key])
	p.mu.Unlock()
	defer func() {
		e.Done = time.Now()
		p.mu.Lock()
		p.inFlight[key]--
		if len(p.entries) < maxEntries {
			p.entries = append(p.entries, *e)
		}
		p.mu.Unlock()
	}()
	if rule != nil && rule.Delay > 0 {
		select {
		case <-time.After(rule.Delay):
		case <-r.Context().Done():
		}
	}
	if rule != nil && (rule.DropResponse || (rule.Status == 0 && !rule.Drop)) {
		e.Faulted = true
		if r.Body != nil {
			r.Body = countingReader{r: r.Body, n: &e.BytesIn, mu: &p.mu}
		}
		if rule.DropResponse {
			rec := httptest.NewRecorder()
			rp.ServeHTTP(rec, r)
			e.Status = 0
			hijackAndReset(w)
			return
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK, override: rule.Header}
		rp.ServeHTTP(sw, r)
		e.Status = sw.status
		return
	}
	if rule != nil {
		e.Faulted = true
		if rule.Drop {
			hijackAndReset(w)
			return
		}
		// Read a little of the body so the client sees a response, not a reset.
		_, _ = io.CopyN(io.Discard, r.Body, 1<<20)
		if rule.RetryAfter != "" {
			w.Header().Set("Retry-After", rule.RetryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rule.Status)
		code := rule.Code
		if code == "" {
			code = codeFor(rule.Status)
		}
		fmt.Fprintf(w, `{"errors":[{"code":"%s","message":"injected by faultproxy"}]}`, code)
		e.Status = rule.Status
		return
	}
	if r.Body != nil {
		r.Body = countingReader{r: r.Body, n: &e.BytesIn, mu: &p.mu}
	}
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	rp.ServeHTTP(sw, r)
	e.Status = sw.status
}

// hijackAndReset closes the client connection without an answer, with RST
// rather than FIN where possible: what a crashed peer looks like.
func hijackAndReset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("faultproxy: cannot hijack")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	conn.Close()
}

func codeFor(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "UNAUTHORIZED"
	case http.StatusForbidden:
		return "DENIED"
	case http.StatusNotFound:
		return "NAME_UNKNOWN"
	case http.StatusTooManyRequests:
		return "TOOMANYREQUESTS"
	case http.StatusBadRequest:
		return "MANIFEST_INVALID"
	}
	return "UNAVAILABLE"
}

type statusWriter struct {
	http.ResponseWriter
	status   int
	override http.Header
}

func (s *statusWriter) WriteHeader(code int) {
	for k, v := range s.override {
		s.Header()[k] = v
	}
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (p *Proxy) match(r *http.Request) *ruleState {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, rs := range p.rules {
		if rs.Method != "" && rs.Method != r.Method {
			continue
		}
		if rs.Path != nil && !rs.Path.MatchString(r.URL.Path) {
			continue
		}
		rs.matches++
		if rs.Times > 0 && rs.faults >= rs.Times {
			continue
		}
		if rs.Every > 1 && rs.matches%rs.Every != 0 {
			continue
		}
		rs.faults++
		return rs
	}
	return nil
}

// Entries returns a copy of the request log, in arrival order of completion.
func (p *Proxy) Entries() []Entry {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Entry(nil), p.entries...)
}

// Reset clears the request log and rule counters.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.entries = nil
	clear(p.maxInFlight)
	for _, r := range p.rules {
		r.matches, r.faults = 0, 0
	}
}

// Count is the number of requests with this method ("" any) and kind ("" any).
func (p *Proxy) Count(method, kind string) int {
	n := 0
	for _, e := range p.Entries() {
		if (method == "" || e.Method == method) && (kind == "" || e.Kind == kind) {
			n++
		}
	}
	return n
}

// BytesIn is the request-body bytes forwarded to the registry for this
// method ("" any) and kind ("" any). Faulted requests count zero.
func (p *Proxy) BytesIn(method, kind string) int64 {
	var n int64
	for _, e := range p.Entries() {
		if (method == "" || e.Method == method) && (kind == "" || e.Kind == kind) {
			n += e.BytesIn
		}
	}
	return n
}

// Faults is how many requests rule i (in SetRules order) faulted.
func (p *Proxy) Faults(i int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i < 0 || i >= len(p.rules) {
		return 0
	}
	return p.rules[i].faults
}

// MaxInFlight is the largest number of requests with this method and kind
// the proxy was serving at the same moment since it started (or Reset).
func (p *Proxy) MaxInFlight(method, kind string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.maxInFlight[method+" "+kind]
}

// RoundTrips is the longest chain of logged requests each sent after the
// previous one was answered: how many round trips the client waited for
// one after the other, requests made at once counting as one. Against a
// registry with latency (a Delay rule) it is what the latency multiplies.
func (p *Proxy) RoundTrips() int {
	es := p.Entries()
	sort.Slice(es, func(i, j int) bool { return es[i].At.Before(es[j].At) })
	chain := make([]int, len(es))
	longest := 0
	for i, e := range es {
		chain[i] = 1
		for j := range i {
			if !es[j].Done.After(e.At) && chain[j]+1 > chain[i] {
				chain[i] = chain[j] + 1
			}
		}
		longest = max(longest, chain[i])
	}
	return longest
}
