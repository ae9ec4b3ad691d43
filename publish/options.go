package publish

import (
	"context"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/event"
)

// Defaults for the options below.
const (
	DefaultJobs        = 4
	DefaultMaxAttempts = 5
	DefaultRetryBase   = 500 * time.Millisecond
	// MaxRetryWait caps both the exponential backoff and a registry's
	// Retry-After: a registry asking for minutes is better answered by
	// failing and letting the user re-run (which resumes) than by a job that
	// looks hung.
	MaxRetryWait = 60 * time.Second
	// DefaultResponseTimeout bounds how long a small request (ping, token,
	// HEAD, manifest, upload commit) waits for the answer to begin.
	DefaultResponseTimeout = 60 * time.Second
)

// Option configures Load, Publish and Login.
type Option func(*options)

// RefOption is the same type as Option: one WithInsecureRegistries serves both
// ParseReference and the I/O functions. ParseReference ignores every other
// option.
type RefOption = Option

type options struct {
	keychain    authn.Keychain
	jobs        int
	transport   http.RoundTripper
	maxAttempts int
	retryBase   time.Duration
	insecure    []string
	notify      func(RetryEvent)
	// responseTimeout bounds the wait for the answer to a small request.
	responseTimeout time.Duration
}

func makeOptions(opts []Option) *options {
	o := &options{
		keychain:        anonymousKeychain{},
		jobs:            DefaultJobs,
		maxAttempts:     DefaultMaxAttempts,
		retryBase:       DefaultRetryBase,
		responseTimeout: DefaultResponseTimeout,
	}
	for _, opt := range opts {
		if opt != nil {
			opt(o)
		}
	}
	if o.transport == nil {
		o.transport = remote.DefaultTransport
	}
	return o
}

// WithKeychain sets where credentials come from. Default: authn.Anonymous
// (the library reads no environment; the CLI passes Keychain(...)).
func WithKeychain(k authn.Keychain) Option {
	return func(o *options) {
		if k != nil {
			o.keychain = k
		}
	}
}

// WithJobs bounds the blob uploads running at once across one publish: all
// destinations of PublishArtifact, all jobs of PublishAll or a Batch.
// Default 4 (uploads wait on the network, not the CPU); n < 1 means 1.
func WithJobs(n int) Option {
	return func(o *options) {
		if n < 1 {
			n = 1
		}
		o.jobs = n
	}
}

// WithTransport sets the base HTTP transport (custom CAs, tests). Default
// remote.DefaultTransport. Retries and the plain-HTTP guard are layered on
// top of it, so it should not retry by itself.
func WithTransport(t http.RoundTripper) Option {
	return func(o *options) { o.transport = t }
}

// WithRetry sets how often a request failing transiently (408, 429, 5xx,
// connection reset, EOF) is attempted in total, and the first backoff, which
// doubles per attempt up to MaxRetryWait. A Retry-After header overrides the
// backoff when longer. Default 5 attempts, 500ms. maxAttempts < 1 means 1.
func WithRetry(maxAttempts int, base time.Duration) Option {
	return func(o *options) {
		if maxAttempts < 1 {
			maxAttempts = 1
		}
		if base <= 0 {
			base = time.Millisecond
		}
		o.maxAttempts, o.retryBase = maxAttempts, base
	}
}

// WithInsecureRegistries allows plain HTTP for these hosts ("host" matches
// any port, "host:port" only that port). Loopback hosts (localhost,
// 127.0.0.0/8, ::1) are always allowed; nothing else is, including the
// RFC1918 and *.local hosts go-containerregistry would otherwise try over
// HTTP. Accepted by ParseReference and by Load, Publish and Login.
func WithInsecureRegistries(hosts ...string) Option {
	return func(o *options) { o.insecure = append(o.insecure, hosts...) }
}

// RetryEvent is one retry, wait or give-up on a registry request, so a
// waiting publish is never silent: the event model's event.Retry.
type RetryEvent = event.Retry

// WithResponseTimeout bounds how long a small request (ping, token, HEAD,
// manifest, upload commit) waits for its answer to begin; blob bodies are
// not bounded. Default DefaultResponseTimeout; d <= 0 means no bound.
func WithResponseTimeout(d time.Duration) Option {
	return func(o *options) { o.responseTimeout = d }
}

// WithRetryEvents receives every retry, wait and give-up on a registry
// request. f may be called from several goroutines at once.
func WithRetryEvents(f func(RetryEvent)) Option {
	return func(o *options) { o.notify = f }
}

type anonymousKeychain struct{}

func (anonymousKeychain) Resolve(authn.Resource) (authn.Authenticator, error) {
	return authn.Anonymous, nil
}

// RemoteOptions returns go-containerregistry remote options carrying this
// package's transport policy (credentials, retries honouring Retry-After,
// the plain-HTTP guard), so other packages (build pulling base images)
// reach registries exactly as Publish does without importing it.
func RemoteOptions(ctx context.Context, opts ...Option) []remote.Option {
	o := makeOptions(opts)
	return o.remoteOptions(ctx, nil)
}
