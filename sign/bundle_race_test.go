package sign

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/publish"
)

// slowRegistry is ggcr's registry without the referrers API whose manifest
// reads take delay, as a remote registry's round trips do: it widens the
// read-modify-write window of the sha256-<hex> index.
func slowRegistry(t testing.TB, delay time.Duration) string {
	t.Helper()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/manifests/") {
			time.Sleep(delay)
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// Attachers in separate processes (here: goroutines without the
// in-process lock) racing on one subject of a registry without the
// referrers API all end up in its sha256-<hex> index. Without the settling
// wait before the read-back, 4 of 30 such runs lost an entry.
func TestConcurrentBundleAttachAcrossProcesses(t *testing.T) {
	subjectLock = func(name.Digest) func() { return func() {} }
	t.Cleanup(func() { subjectLock = lockSubject })
	a, _ := keys(t)
	s := a.signer(t)
	ctx := t.Context()
	for _, r := range raceRegistries(t) {
		t.Run(r.name, func(t *testing.T) {
			d := pushImage(t, r.host, "team/app", registrytest.Image(t, 1, 256), r.ro...)
			const n = 16
			errs := make(chan error, n)
			for i := range n {
				go func() {
					_, err := SignBundle(ctx, d, s, WithRemoteOptions(r.ro...), WithAnnotations(map[string]string{"n": fmt.Sprint(i)}))
					errs <- err
				}()
			}
			for range n {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			if got := referrerCount(t, d, r.ro...); got != n {
				t.Fatalf("%d of %d concurrent bundles listed", got, n)
			}
			got, err := Verify(ctx, d, WithKey(a.verifier(t)), WithRemoteOptions(r.ro...))
			if err != nil || len(got.Signatures) != n {
				t.Fatalf("verify: %d signatures, %v; want %d", len(got.Signatures), err, n)
			}
		})
	}
}

type raceRegistry struct {
	name string
	host string
	ro   []remote.Option
}

// raceRegistries are the registries without the referrers API concurrent
// writers race on: ggcr's, ggcr's with slow manifest reads, and CNCF
// distribution with auth over TLS.
func raceRegistries(t *testing.T) []raceRegistry {
	reg := registrytest.StartDistribution(t)
	dist := publish.RemoteOptions(t.Context(),
		publish.WithTransport(reg.Transport),
		publish.WithKeychain(publish.Keychain("", map[string]authn.AuthConfig{reg.Host: {Username: reg.Username, Password: reg.Password}})),
		publish.WithRetry(1, 0))
	return []raceRegistry{
		{"ggcr", slowRegistry(t, 0), nil},
		{"ggcr, 20ms reads", slowRegistry(t, 20*time.Millisecond), nil},
		{"distribution", reg.Host, dist},
	}
}

// Signers and attesters in separate processes (here: goroutines) racing on
// one subject's sha256-<hex>.sig and .att tags all end up in them. Without
// registryTarget.settle, 1 or 2 of the 16 were left in each tag on every
// registry here.
func TestConcurrentLegacySignAcrossProcesses(t *testing.T) {
	a, _ := keys(t)
	s := a.signer(t)
	ctx := t.Context()
	for _, r := range raceRegistries(t) {
		t.Run(r.name, func(t *testing.T) {
			d := pushImage(t, r.host, "team/app", registrytest.Image(t, 1, 256), r.ro...)
			const n = 16
			errs := make(chan error, 2*n)
			for i := range n {
				go func() {
					_, err := Sign(ctx, d, s, WithRemoteOptions(r.ro...), WithAnnotations(map[string]string{"n": fmt.Sprint(i)}))
					errs <- err
				}()
				go func() {
					_, err := Attest(ctx, d, s, "https://example.com/p", []byte(fmt.Sprintf(`{"n":%d}`, i)), WithRemoteOptions(r.ro...))
					errs <- err
				}()
			}
			for range 2 * n {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			for _, suffix := range []string{SignatureSuffix, AttestationSuffix} {
				if got := sigLayers(t, d, suffix, r.ro...); got != n {
					t.Errorf("%d of %d concurrent writers listed in .%s", got, n, suffix)
				}
			}
			got, err := Verify(ctx, d, WithKey(a.verifier(t)), WithRemoteOptions(r.ro...))
			if err != nil || len(got.Signatures) != n {
				t.Fatalf("verify: %v; want %d signatures", err, n)
			}
		})
	}
}
