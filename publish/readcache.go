package publish

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
)

// maxCachedRead bounds the answers readCache keeps: manifests, signature
// and attestation layers, not image layers.
const maxCachedRead = 1 << 20

// readCache keeps the small GET answers of one repository's client for the
// rest of a batch, so that signing, attesting and verifying, which read the
// same .sig/.att manifests, bundles and their layers several times over,
// ask the registry once. Answers by digest never change. Answers by tag or
// referrers list can: every write the client makes to the repository (any
// request but GET and HEAD) empties the cache, so a read after one of
// stevedore's own writes always asks the registry. HEADs are never cached:
// they decide whether to write.
type readCache struct {
	inner http.RoundTripper

	mu      sync.Mutex
	answers map[string]cachedAnswer // by method, URL and Accept header
}

type cachedAnswer struct {
	status int
	header http.Header
	body   []byte
}

func newReadCache(inner http.RoundTripper) *readCache {
	return &readCache{inner: inner, answers: map[string]cachedAnswer{}}
}

func (c *readCache) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet {
		if req.Method != http.MethodHead {
			c.mu.Lock()
			clear(c.answers)
			c.mu.Unlock()
		}
		return c.inner.RoundTrip(req)
	}
	if !cacheable(req) {
		return c.inner.RoundTrip(req)
	}
	key := req.URL.String() + "\n" + req.Header.Get("Accept")
	c.mu.Lock()
	a, ok := c.answers[key]
	c.mu.Unlock()
	if ok {
		return a.response(req), nil
	}
	resp, err := c.inner.RoundTrip(req)
	if err != nil || !keep(req, resp) || resp.ContentLength < 0 || resp.ContentLength > maxCachedRead {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCachedRead+1))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	a = cachedAnswer{status: resp.StatusCode, header: resp.Header.Clone(), body: body}
	if int64(len(body)) == resp.ContentLength {
		c.mu.Lock()
		c.answers[key] = a
		c.mu.Unlock()
	}
	return a.response(req), nil
}

// keep says whether resp is an answer to keep: a 200, or a referrers
// API's 404. That 404 means the registry has no referrers API (one that has
// it answers an empty list), which does not change during a batch, and
// every lookup would otherwise ask it again before reading the tag schema.
func keep(req *http.Request, resp *http.Response) bool {
	return resp.StatusCode == http.StatusOK ||
		(resp.StatusCode == http.StatusNotFound && strings.Contains(req.URL.Path, "/referrers/"))
}

// cacheable: manifests, blobs and referrers lists of a repository; not the
// ping, token or tag list requests.
func cacheable(req *http.Request) bool {
	p := req.URL.Path
	return strings.HasPrefix(p, "/v2/") &&
		(strings.Contains(p, "/manifests/") || strings.Contains(p, "/blobs/sha256:") || strings.Contains(p, "/referrers/"))
}

func (a cachedAnswer) response(req *http.Request) *http.Response {
	return &http.Response{
		Status:        http.StatusText(a.status),
		StatusCode:    a.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        a.header.Clone(),
		Body:          io.NopCloser(bytes.NewReader(a.body)),
		ContentLength: int64(len(a.body)),
		Request:       req,
	}
}
