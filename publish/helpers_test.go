package publish

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

func mustRef(t testing.TB, s string, opts ...RefOption) Reference {
	t.Helper()
	r, err := ParseReference(s, opts...)
	if err != nil {
		t.Fatalf("ParseReference(%q): %v", s, err)
	}
	return r
}

// layoutWith writes x (image or index) to a fresh layout tagged tag and
// returns the reference and digest.
func layoutWith(t testing.TB, tag string, x any) (Reference, v1.Hash) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "src")
	h := registrytest.WriteLayout(t, dir, tag, x)
	s := "oci:" + dir
	if tag != "" {
		s += ":" + tag
	}
	return mustRef(t, s), h
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// fast keeps the retry tests quick; Retry-After still overrides the backoff.
var fast = WithRetry(3, 5*time.Millisecond)

// remoteDigest resolves s on a registry (what a third party would see).
func remoteDigest(t testing.TB, s string, ropts ...remote.Option) (v1.Hash, bool) {
	t.Helper()
	ref, err := name.ParseReference(s)
	if err != nil {
		t.Fatalf("parsing %q: %v", s, err)
	}
	d, err := remote.Head(ref, ropts...)
	if err != nil {
		return v1.Hash{}, false
	}
	return d.Digest, true
}

func distOpts(d *registrytest.Distribution) []Option {
	return []Option{
		WithTransport(d.Transport),
		WithKeychain(Keychain("", map[string]authn.AuthConfig{d.Host: {Username: d.Username, Password: d.Password}})),
	}
}
