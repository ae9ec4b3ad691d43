package sign

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/publish"
)

// Against a real registry with auth over TLS, reached the way publish
// reaches registries.
func TestDistributionAuthTLS(t *testing.T) {
	a, _ := keys(t)
	ctx := t.Context()
	reg := registrytest.StartDistribution(t)
	ro := publish.RemoteOptions(ctx,
		publish.WithTransport(reg.Transport),
		publish.WithKeychain(publish.Keychain("", map[string]authn.AuthConfig{
			reg.Host: {Username: reg.Username, Password: reg.Password},
		})),
		publish.WithRetry(1, 0),
	)
	repo, err := name.NewRepository(reg.Host + "/team/app")
	if err != nil {
		t.Fatal(err)
	}
	ii := registrytest.Index(t, 2, 1, 128)
	h, _ := ii.Digest()
	d := repo.Digest(h.String())
	if err := remote.WriteIndex(d, ii, ro...); err != nil {
		t.Fatal(err)
	}

	if _, err := Sign(ctx, d, a.signer(t), WithRemoteOptions(ro...), WithRecursive(true)); err != nil {
		t.Fatal(err)
	}
	if _, err := Attest(ctx, d, a.signer(t), PredicateSPDXJSON, []byte(spdx), WithRemoteOptions(ro...)); err != nil {
		t.Fatal(err)
	}
	res, err := Sign(ctx, d, a.signer(t), WithRemoteOptions(ro...), WithRecursive(true))
	if err != nil || len(res.Skipped) != 3 {
		t.Fatalf("re-sign: %+v, %v", res, err)
	}
	if _, err := Verify(ctx, d, WithKey(a.verifier(t)), WithIgnoreTlog(true), WithRemoteOptions(ro...)); err != nil {
		t.Fatal(err)
	}
	got, err := VerifyAttestation(ctx, d, PredicateSPDXJSON, WithKey(a.verifier(t)), WithIgnoreTlog(true), WithRemoteOptions(ro...))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(got.Command, " "+d.String()) {
		t.Errorf("command = %q", got.Command)
	}

	// Without credentials: an error, and not a signature verdict.
	anon := publish.RemoteOptions(ctx, publish.WithTransport(reg.Transport), publish.WithRetry(1, 0))
	_, err = Verify(ctx, d, WithKey(a.verifier(t)), WithIgnoreTlog(true), WithRemoteOptions(anon...))
	if err == nil || errors.Is(err, ErrNoSignature) || errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("anonymous verify: %v", err)
	}
}
