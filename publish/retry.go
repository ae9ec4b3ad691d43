package publish

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

var (
	// errRetriesExhausted marks a transient failure that outlived every attempt.
	errRetriesExhausted = errors.New("retries exhausted")
	// errUploadInterrupted marks a blob PATCH whose connection failed
	// mid-body. Replaying the PATCH could append a second copy of the
	// bytes the registry already stored, so instead go-containerregistry's
	// upload-level retry (the only place our predicate says yes) restarts
	// the upload from the existence check with a fresh session.
	errUploadInterrupted = errors.New("blob upload interrupted")
)

// retryTransport retries one HTTP request on transient failures, honouring
// Retry-After. go-containerregistry's own retry (transport.NewRetry) ignores
// Retry-After and is disabled for uploads anyway (it marks them "never
// retry" and retries whole uploads instead), so we turn its per-request
// retry off (no status codes, predicate only errUploadInterrupted) and do it
// here: one layer of retries, not attempts × attempts.
//
// Request bodies are replayed through GetBody; a request whose body cannot
// be replayed is sent once.
type retryTransport struct {
	inner       http.RoundTripper
	maxAttempts int
	base        time.Duration
	notify      func(RetryEvent)
	timeout     time.Duration
}

// manifestBlobUnknownAttempts bounds the retry of a manifest PUT answered
// MANIFEST_BLOB_UNKNOWN: registries on eventually consistent storage (S3,
// replicas) may not see a blob committed a moment ago. A few seconds in
// total: a blob that is really missing should fail soon.
const manifestBlobUnknownAttempts = 4

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	hasBody := req.Body != nil && req.Body != http.NoBody
	replayable := !hasBody || req.GetBody != nil
	ctx := req.Context()
	kind := requestKind(req)
	if n := redirectDepth(req); n > maxRedirects {
		return nil, newKindError(ErrUnavailable, nil, "registry %s redirected %s %s more than %d times (a redirect loop): the registry or a proxy in front of it is misconfigured", displayRegistry(req.URL.Host), kind, req.URL.Path, maxRedirects)
	}
	blobUnknown := 0
	for attempt := 1; ; attempt++ {
		r := req
		if attempt > 1 {
			r = req.Clone(ctx)
			if hasBody {
				body, err := req.GetBody()
				if err != nil {
					return nil, fmt.Errorf("reopening request body for retry: %w", err)
				}
				r.Body = body
			}
		}
		resp, err := t.roundTripBounded(r, kind)
		last := attempt >= t.maxAttempts || !replayable
		if err != nil {
			if ctx.Err() != nil || !transientNetError(err) {
				return nil, err
			}
			if uploadRequest(req) {
				// A PATCH cut mid-body, or a commit PUT whose answer was
				// lost after the registry may have stored the blob:
				// replaying either on the same session is wrong (a second
				// copy of the bytes; DIGEST_INVALID on a closed session).
				// The upload-level retry starts over from a HEAD, in a
				// fresh session.
				t.event(RetryEvent{Registry: req.URL.Host, Request: kind, Attempt: attempt, Reason: "connection lost: " + err.Error() + "; checking whether the blob arrived, then re-uploading in a new session"})
				return nil, fmt.Errorf("%w: %w", errUploadInterrupted, err)
			}
			if last {
				t.event(RetryEvent{Registry: req.URL.Host, Request: kind, Attempt: attempt, Reason: err.Error(), GaveUp: true})
				return nil, fmt.Errorf("%w after %d attempts: %w", errRetriesExhausted, attempt, err)
			}
			wait := backoff(t.base, attempt)
			t.event(RetryEvent{Registry: req.URL.Host, Request: kind, Attempt: attempt, Wait: wait, Reason: err.Error()})
			if err := sleep(ctx, wait); err != nil {
				return nil, err
			}
			continue
		}
		if kind == "manifest upload" && replayable && (resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusNotFound) {
			unknown, err := peekManifestBlobUnknown(resp)
			if err != nil {
				return nil, err
			}
			if unknown {
				blobUnknown++
				if blobUnknown >= manifestBlobUnknownAttempts {
					t.event(RetryEvent{Registry: req.URL.Host, Request: kind, Attempt: blobUnknown, Reason: "MANIFEST_BLOB_UNKNOWN", GaveUp: true})
					return resp, nil
				}
				wait := backoff(t.base, blobUnknown)
				t.event(RetryEvent{Registry: req.URL.Host, Request: kind, Attempt: blobUnknown, Wait: wait, Reason: "MANIFEST_BLOB_UNKNOWN right after the blobs were committed (registry storage catching up)"})
				resp.Body.Close()
				if err := sleep(ctx, wait); err != nil {
					return nil, err
				}
				attempt-- // not a transient failure: its own budget
				continue
			}
		}
		if !retryableStatus(resp.StatusCode) {
			return resp, nil
		}
		wait := backoff(t.base, attempt)
		if ra, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			if ra > MaxRetryWait {
				// Sleeping the cap and asking again only makes a job look
				// hung: the registry said when it will answer.
				_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
				resp.Body.Close()
				t.event(RetryEvent{Registry: req.URL.Host, Request: kind, Attempt: attempt, Wait: ra, Reason: resp.Status, GaveUp: true})
				return nil, waitTooLongError(req.URL.Host, kind, resp.StatusCode, ra)
			}
			wait = max(wait, ra)
		}
		if last {
			t.event(RetryEvent{Registry: req.URL.Host, Request: kind, Attempt: attempt, Reason: resp.Status, GaveUp: true})
			return resp, nil
		}
		t.event(RetryEvent{Registry: req.URL.Host, Request: kind, Attempt: attempt, Wait: wait, Reason: resp.Status})
		// Drain a little so the connection can be reused; error bodies are small.
		_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
		resp.Body.Close()
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// maxBoundedBody is the largest request body whose answer must arrive
// within the response timeout: pings, token requests, HEADs, manifests and
// upload commits are small; a streaming blob PATCH may take as long as its
// bytes need.
const maxBoundedBody = 4 << 20

// roundTripBounded sends r, failing when a small request's answer has not
// begun within t.timeout: a token endpoint or registry that accepts the
// connection and never answers must not hang the publish until the job's
// own timeout.
func (t *retryTransport) roundTripBounded(r *http.Request, kind string) (*http.Response, error) {
	if t.timeout <= 0 || r.ContentLength < 0 || r.ContentLength > maxBoundedBody {
		return t.inner.RoundTrip(r)
	}
	ctx, cancel := context.WithCancelCause(r.Context())
	timedOut := errors.New("no answer in time")
	timer := time.AfterFunc(t.timeout, func() { cancel(timedOut) })
	resp, err := t.inner.RoundTrip(r.WithContext(ctx))
	if !timer.Stop() || err != nil {
		cancel(nil)
		if resp != nil {
			resp.Body.Close()
		}
		if errors.Is(context.Cause(ctx), timedOut) && r.Context().Err() == nil {
			t.event(RetryEvent{Registry: r.URL.Host, Request: kind, Attempt: 1, Wait: t.timeout, Reason: "no answer", GaveUp: true})
			return nil, newKindError(ErrUnavailable, nil, "%s at %s did not answer within %s: the registry or its token service is hanging; try again later (a re-run resumes)", kind, displayRegistry(r.URL.Host), t.timeout)
		}
		return nil, err
	}
	resp.Body = cancelOnClose{ReadCloser: resp.Body, cancel: func() { cancel(nil) }}
	return resp, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel func()
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// maxRedirects is net/http's default limit, which go-containerregistry's
// CheckRedirect (same host always allowed) replaces with none: a registry
// redirecting to itself would otherwise be followed forever.
const maxRedirects = 10

// redirectDepth counts the redirects that led to req: net/http sets
// Request.Response on each request it makes to follow one.
func redirectDepth(req *http.Request) int {
	n := 0
	for r := req; r != nil && r.Response != nil; r = r.Response.Request {
		n++
	}
	return n
}

func (t *retryTransport) event(e RetryEvent) {
	if t.notify != nil {
		t.notify(e)
	}
}

// uploadRequest is a request that is part of a blob upload session and must
// not be replayed on its own: a PATCH of bytes or the commit PUT.
func uploadRequest(req *http.Request) bool {
	return (req.Method == http.MethodPatch || req.Method == http.MethodPut) && strings.Contains(req.URL.Path, "/blobs/uploads/")
}

// requestKind names a registry request for humans.
func requestKind(req *http.Request) string {
	p := req.URL.Path
	switch {
	case strings.Contains(p, "/blobs/uploads/") && req.Method == http.MethodPost:
		return "blob upload start"
	case strings.Contains(p, "/blobs/uploads/") && req.Method == http.MethodPatch:
		return "blob upload"
	case strings.Contains(p, "/blobs/uploads/") && req.Method == http.MethodPut:
		return "blob upload commit"
	case strings.Contains(p, "/blobs/"):
		return "blob " + strings.ToLower(req.Method)
	case strings.Contains(p, "/manifests/") && req.Method == http.MethodPut:
		return "manifest upload"
	case strings.Contains(p, "/manifests/"):
		return "manifest " + strings.ToLower(req.Method)
	case p == "/v2/" || p == "/v2":
		return "ping"
	}
	if !strings.HasPrefix(p, "/v2/") {
		return "token request"
	}
	return "registry " + req.Method
}

// peekManifestBlobUnknown reads the (small) error body and puts it back, so
// the caller can still hand the response to go-containerregistry.
func peekManifestBlobUnknown(resp *http.Response) (bool, error) {
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if err != nil {
		return false, fmt.Errorf("reading registry error body: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return bytes.Contains(b, []byte(`"MANIFEST_BLOB_UNKNOWN"`)), nil
}

// waitTooLongError is a Retry-After beyond MaxRetryWait: fail now, saying
// what the registry asked for and what usually lifts the limit.
func waitTooLongError(host, kind string, status int, wait time.Duration) error {
	what := "is unavailable"
	fix := "try again later; a re-run resumes"
	if status == http.StatusTooManyRequests {
		what = "rate limited the " + kind
		fix = "authenticate (stevedore login " + host + ", or credentials in the environment): anonymous requests get the lowest limits; otherwise wait and re-run, which resumes"
		if isDockerHub(host) {
			fix = "authenticate to Docker Hub (stevedore login docker.io -u USER --password-stdin): anonymous pulls are rate-limited per IP; otherwise wait and re-run, which resumes"
		}
	}
	return newKindError(ErrUnavailable, nil, "registry %s %s (%d) and asked to wait %s (Retry-After), longer than the %s stevedore waits: %s",
		displayRegistry(host), what, status, wait.Round(time.Second), MaxRetryWait, fix)
}

func isDockerHub(host string) bool {
	switch host {
	case name.DefaultRegistry, "docker.io", "registry-1.docker.io", "auth.docker.io":
		return true
	}
	return false
}

func retryableStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests,
		http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout,
		499, 522: // nginx client-closed, Cloudflare origin timeout
		return true
	}
	return false
}

func transientNetError(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// backoff is base·2^(attempt-1) plus up to 10% jitter, capped at MaxRetryWait.
func backoff(base time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < MaxRetryWait; i++ {
		d *= 2
	}
	d += time.Duration(rand.Int64N(int64(d)/10 + 1))
	return min(d, MaxRetryWait)
}

// retryAfter parses Retry-After as delay-seconds or an HTTP date; the caller
// decides what to do with a wait beyond MaxRetryWait.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0, false
		}
		d = time.Duration(secs) * time.Second
	} else if when, err := http.ParseTime(v); err == nil {
		d = when.Sub(now)
		if d < 0 {
			d = 0
		}
	} else {
		return 0, false
	}
	return d, true
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// httpTransport is the stack under go-containerregistry's auth:
// retry → plain-HTTP guard → base transport.
func (o *options) httpTransport(extraInsecure []string) http.RoundTripper {
	allowed := append(append([]string(nil), o.insecure...), extraInsecure...)
	return &retryTransport{
		inner:       &insecureGuard{inner: o.transport, allowed: allowed},
		maxAttempts: o.maxAttempts,
		base:        o.retryBase,
		notify:      o.notify,
		timeout:     o.responseTimeout,
	}
}

// remoteOptions configures go-containerregistry for one operation.
func (o *options) remoteOptions(ctx context.Context, extraInsecure []string) []remote.Option {
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(o.keychain),
		remote.WithTransport(o.httpTransport(extraInsecure)),
		remote.WithJobs(o.jobs),
		remote.WithRetryStatusCodes(),
		remote.WithRetryPredicate(func(err error) bool { return errors.Is(err, errUploadInterrupted) }),
		remote.WithRetryBackoff(o.backoff()),
	}
}

// backoff is go-containerregistry's retry of an interrupted upload.
func (o *options) backoff() remote.Backoff {
	return remote.Backoff{Duration: o.retryBase, Factor: 2, Jitter: 0.1, Steps: o.maxAttempts, Cap: MaxRetryWait}
}
