package sign

import (
	"testing"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// BenchmarkSignAttestVerify measures, per image, one signature, one SPDX
// attestation and the verification of both, in each format, on registries
// with and without the referrers API.
func BenchmarkSignAttestVerify(b *testing.B) {
	a, _ := keys(b)
	s, v := a.signer(b), a.verifier(b)
	for _, bc := range []struct {
		name   string
		start  func(testing.TB) string
		bundle bool
	}{
		{"legacy", registrytest.InProcess, false},
		{"bundle/tag-schema", registrytest.InProcess, true},
		{"bundle/referrers-API", registrytest.InProcessReferrers, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx, host := b.Context(), bc.start(b)
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				d := pushImage(b, host, "bench/app", oneLayer(b, []byte{byte(i), byte(i >> 8), byte(i >> 16), 2}))
				b.StartTimer()
				var err error
				if bc.bundle {
					if _, err = SignBundle(ctx, d, s); err == nil {
						err = AttestBundle(ctx, d, s, PredicateSPDXJSON, []byte(spdx))
					}
				} else {
					if _, err = Sign(ctx, d, s); err == nil {
						_, err = Attest(ctx, d, s, PredicateSPDXJSON, []byte(spdx))
					}
				}
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Verify(ctx, d, WithKey(v), WithIgnoreTlog(true)); err != nil {
					b.Fatal(err)
				}
				if _, err := VerifyAttestation(ctx, d, PredicateSPDXJSON, WithKey(v), WithIgnoreTlog(true)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
