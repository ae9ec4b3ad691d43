package sign

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/publish"
)

// BenchmarkSignAttestVerify measures, per image, one signature, one SPDX
// attestation and the verification of both, in each format (both: the
// two formats written, the bundle verified), on registries with and
// without the referrers API, and on CNCF distribution (TLS, auth; no
// referrers API).
func BenchmarkSignAttestVerify(b *testing.B) {
	a, _ := keys(b)
	s, v := a.signer(b), a.verifier(b)
	inProcess := func(start func(testing.TB) string) func(testing.TB) (string, []remote.Option) {
		return func(t testing.TB) (string, []remote.Option) { return start(t), nil }
	}
	distribution := func(t testing.TB) (string, []remote.Option) {
		reg := registrytest.StartDistribution(t)
		return reg.Host, publish.RemoteOptions(b.Context(),
			publish.WithTransport(reg.Transport),
			publish.WithKeychain(publish.Keychain("", map[string]authn.AuthConfig{reg.Host: {Username: reg.Username, Password: reg.Password}})),
			publish.WithRetry(1, 0))
	}
	for _, bc := range []struct {
		name   string
		start  func(testing.TB) (string, []remote.Option)
		format string
	}{
		{"legacy", inProcess(registrytest.InProcess), "legacy"},
		{"bundle/tag-schema", inProcess(registrytest.InProcess), "bundle"},
		{"bundle/referrers-API", inProcess(registrytest.InProcessReferrers), "bundle"},
		{"both/tag-schema", inProcess(registrytest.InProcess), "both"},
		{"legacy/distribution", distribution, "legacy"},
		{"bundle/distribution", distribution, "bundle"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := b.Context()
			host, ro := bc.start(b)
			repo, err := name.NewRepository(host + "/bench/app")
			if err != nil {
				b.Fatal(err)
			}
			opts := []Option{WithRemoteOptions(ro...)}
			vopts := append(opts, WithKey(v))
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				img := oneLayer(b, []byte{byte(i), byte(i >> 8), byte(i >> 16), 2})
				h, err := img.Digest()
				if err != nil {
					b.Fatal(err)
				}
				d := repo.Digest(h.String())
				if err := remote.Write(d, img, ro...); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if bc.format != "bundle" {
					if _, err = Sign(ctx, d, s, opts...); err == nil {
						_, err = Attest(ctx, d, s, PredicateSPDXJSON, []byte(spdx), opts...)
					}
				}
				if err == nil && bc.format != "legacy" {
					if _, err = SignBundle(ctx, d, s, opts...); err == nil {
						err = AttestBundle(ctx, d, s, PredicateSPDXJSON, []byte(spdx), opts...)
					}
				}
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Verify(ctx, d, vopts...); err != nil {
					b.Fatal(err)
				}
				if _, err := VerifyAttestation(ctx, d, PredicateSPDXJSON, vopts...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
