package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"

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
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	hasBody := req.Body != nil && req.Body != http.NoBody
	replayable := !hasBody || req.GetBody != nil
	ctx := req.Context()
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
		resp, err := t.inner.RoundTrip(r)
		last := attempt >= t.maxAttempts || !replayable
		if err != nil {
			if ctx.Err() != nil || !transientNetError(err) {
				return nil, err
			}
			if req.Method == http.MethodPatch {
				return nil, fmt.Errorf("%w: %w", errUploadInterrupted, err)
			}
			if last {
				return nil, fmt.Errorf("%w after %d attempts: %w", errRetriesExhausted, attempt, err)
			}
			if err := sleep(ctx, backoff(t.base, attempt)); err != nil {
				return nil, err
			}
			continue
		}
		if !retryableStatus(resp.StatusCode) || last {
			return resp, nil
		}
		wait := backoff(t.base, attempt)
		if ra, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok && ra > wait {
			wait = ra
		}
		// Drain a little so the connection can be reused; error bodies are small.
		_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
		resp.Body.Close()
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
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

// retryAfter parses Retry-After as delay-seconds or an HTTP date, capped at
// MaxRetryWait.
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
	return min(d, MaxRetryWait), true
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
		remote.WithRetryBackoff(remote.Backoff{Duration: o.retryBase, Factor: 2, Jitter: 0.1, Steps: o.maxAttempts, Cap: MaxRetryWait}),
	}
}
