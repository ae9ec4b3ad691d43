package sign

import (
	"context"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// Keys are generated once per test binary: cosign encrypts with scrypt,
// which costs about a second per key.
var (
	keysOnce sync.Once
	keyA     testKey
	keyB     testKey
)

type testKey struct {
	priv, pub []byte
	password  []byte
}

func keys(t testing.TB) (a, b testKey) {
	t.Helper()
	keysOnce.Do(func() {
		for _, k := range []*testKey{&keyA, &keyB} {
			k.password = []byte("correct horse battery staple")
			var err error
			k.priv, k.pub, err = GenerateKeys(k.password)
			if err != nil {
				panic(err)
			}
		}
	})
	return keyA, keyB
}

func (k testKey) signer(t testing.TB) *Signer {
	t.Helper()
	s, err := LoadSigner(k.priv, k.password)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (k testKey) verifier(t testing.TB) *Verifier {
	t.Helper()
	v, err := LoadVerifier(k.pub)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// pushImage writes x (v1.Image or v1.ImageIndex) to host/repo by digest.
func pushImage(t testing.TB, host, repo string, x any, ro ...remote.Option) name.Digest {
	t.Helper()
	r, err := name.NewRepository(host + "/" + repo)
	if err != nil {
		t.Fatal(err)
	}
	var h v1.Hash
	switch v := x.(type) {
	case v1.Image:
		if h, err = v.Digest(); err == nil {
			err = remote.Write(r.Digest(h.String()), v, ro...)
		}
	case v1.ImageIndex:
		if h, err = v.Digest(); err == nil {
			err = remote.WriteIndex(r.Digest(h.String()), v, ro...)
		}
	}
	if err != nil {
		t.Fatalf("pushing: %v", err)
	}
	return r.Digest(h.String())
}

// sigLayers counts the layers of d's .sig or .att image (0 when absent).
func sigLayers(t testing.TB, d name.Digest, suffix string, ro ...remote.Option) int {
	t.Helper()
	h, _ := v1.NewHash(d.DigestStr())
	img, err := remote.Image(d.Context().Tag(AttachedTag(h, suffix)), ro...)
	if err != nil {
		return 0
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	return len(m.Layers)
}

// hosts remembers the registry newRegistryImage started per test.
var hosts sync.Map

func newRegistryImage(t testing.TB) (context.Context, name.Digest) {
	t.Helper()
	host := registrytest.InProcess(t)
	hosts.Store(t, host)
	return context.Background(), pushImage(t, host, "team/app", registrytest.Image(t, 1, 256))
}

func registryHost(t testing.TB) string {
	h, _ := hosts.Load(t)
	return h.(string)
}

func mustDigest(t testing.TB, s string) name.Digest {
	t.Helper()
	d, err := name.NewDigest(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
