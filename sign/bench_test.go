package sign

import (
	"os"
	"testing"
)

// BenchmarkSignVerify measures one key signature plus its verification
// against the in-process registry (each iteration signs a new image).
func BenchmarkSignVerify(b *testing.B) {
	a, _ := keys(b)
	s, v := a.signer(b), a.verifier(b)
	ctx, _ := newRegistryImage(b)
	host := registryHost(b)
	imgs := make([]any, b.N)
	for i := range imgs {
		imgs[i] = oneLayer(b, []byte{byte(i), byte(i >> 8), byte(i >> 16), 1})
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		d := pushImage(b, host, "bench/app", imgs[i])
		b.StartTimer()
		if _, err := Sign(ctx, d, s); err != nil {
			b.Fatal(err)
		}
		if _, err := Verify(ctx, d, WithKey(v), WithIgnoreTlog(true)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignAgain measures the idempotent path: the digest is already
// signed by this key, so Sign only reads the .sig image.
func BenchmarkSignAgain(b *testing.B) {
	a, _ := keys(b)
	s := a.signer(b)
	ctx, d := newRegistryImage(b)
	if _, err := Sign(ctx, d, s); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := Sign(ctx, d, s)
		if err != nil || len(res.Skipped) != 1 {
			b.Fatal(res, err)
		}
	}
}

// BenchmarkSignerSpecNew is what a release pays for its key: one
// decryption (scrypt), at cosign's cost with a password and at the lowest
// cost cosign reads without one.
func BenchmarkSignerSpecNew(b *testing.B) {
	for _, pw := range []string{"", "pw"} {
		b.Run("password="+pw, func(b *testing.B) {
			priv, _, err := GenerateKeys([]byte(pw))
			if err != nil {
				b.Fatal(err)
			}
			key := b.TempDir() + "/cosign.key"
			if err := os.WriteFile(key, priv, 0o600); err != nil {
				b.Fatal(err)
			}
			spec := SignerSpec{Key: key, Password: []byte(pw)}
			for b.Loop() {
				if _, err := spec.New(b.Context()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
