package sign

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

func TestSignVerifyRoundTrip(t *testing.T) {
	a, _ := keys(t)
	ctx, d := newRegistryImage(t)

	res, err := Sign(ctx, d, a.signer(t), WithAnnotations(map[string]string{"release": "v1.2.0"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Signed) != 1 || len(res.Skipped) != 0 {
		t.Fatalf("result = %+v, want one signed", res)
	}
	got, err := Verify(ctx, d, WithKey(a.verifier(t)), WithIgnoreTlog(true))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Signatures) != 1 {
		t.Fatalf("verified %d signatures, want 1", len(got.Signatures))
	}
	s := got.Signatures[0]
	if s.Annotations["release"] != "v1.2.0" {
		t.Errorf("annotations = %v", s.Annotations)
	}
	if s.ClaimedIdentity != d.Context().Name() {
		t.Errorf("claimed identity = %q, want %q", s.ClaimedIdentity, d.Context().Name())
	}
	if !strings.Contains(got.Command, "cosign verify --key cosign.pub --insecure-ignore-tlog") ||
		!strings.HasSuffix(got.Command, "--allow-insecure-registry "+d.String()) {
		t.Errorf("command = %q", got.Command)
	}

	t.Run("required annotation present", func(t *testing.T) {
		if _, err := Verify(ctx, d, WithKey(a.verifier(t)), WithIgnoreTlog(true), WithAnnotations(map[string]string{"release": "v1.2.0"})); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("required annotation missing", func(t *testing.T) {
		_, err := Verify(ctx, d, WithKey(a.verifier(t)), WithIgnoreTlog(true), WithAnnotations(map[string]string{"release": "v9"}))
		if !errors.Is(err, ErrInvalidSignature) {
			t.Fatalf("err = %v, want ErrInvalidSignature", err)
		}
	})
}

func TestVerifyWrongKey(t *testing.T) {
	a, b := keys(t)
	ctx, d := newRegistryImage(t)
	if _, err := Sign(ctx, d, a.signer(t)); err != nil {
		t.Fatal(err)
	}
	_, err := Verify(ctx, d, WithKey(b.verifier(t)), WithIgnoreTlog(true))
	if !errors.Is(err, ErrInvalidSignature) || errors.Is(err, ErrNoSignature) {
		t.Fatalf("err = %v, want ErrInvalidSignature only", err)
	}
}

func TestVerifyOtherDigestUnsigned(t *testing.T) {
	a, _ := keys(t)
	host := registrytest.InProcess(t)
	ctx := t.Context()
	content := []byte("layer content of the released image")
	d := pushImage(t, host, "team/app", oneLayer(t, content))
	if _, err := Sign(ctx, d, a.signer(t)); err != nil {
		t.Fatal(err)
	}
	// The same image with one byte of its layer changed: another digest,
	// which the signature must not cover.
	changed := append([]byte(nil), content...)
	changed[0] ^= 1
	d2 := pushImage(t, host, "team/app", oneLayer(t, changed))
	if d2.DigestStr() == d.DigestStr() {
		t.Fatal("same digest")
	}
	_, err := Verify(ctx, d2, WithKey(a.verifier(t)), WithIgnoreTlog(true))
	if !errors.Is(err, ErrNoSignature) {
		t.Fatalf("err = %v, want ErrNoSignature", err)
	}
}

func oneLayer(t testing.TB, b []byte) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, static.NewLayer(b, types.OCILayer))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestSignTwiceAddsNoSignature(t *testing.T) {
	a, b := keys(t)
	ctx, d := newRegistryImage(t)
	for i := range 2 {
		res, err := Sign(ctx, d, a.signer(t))
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 && (len(res.Skipped) != 1 || len(res.Signed) != 0) {
			t.Fatalf("second run result = %+v, want skipped", res)
		}
	}
	if n := sigLayers(t, d, SignatureSuffix); n != 1 {
		t.Fatalf(".sig has %d layers, want 1", n)
	}
	// Another key, or other annotations, is another signature.
	if _, err := Sign(ctx, d, b.signer(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := Sign(ctx, d, a.signer(t), WithAnnotations(map[string]string{"k": "v"})); err != nil {
		t.Fatal(err)
	}
	if n := sigLayers(t, d, SignatureSuffix); n != 3 {
		t.Fatalf(".sig has %d layers, want 3", n)
	}
	for _, k := range []testKey{a, b} {
		if _, err := Verify(ctx, d, WithKey(k.verifier(t)), WithIgnoreTlog(true)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSignRecursive(t *testing.T) {
	a, _ := keys(t)
	host := registrytest.InProcess(t)
	ii := registrytest.Index(t, 3, 1, 128)
	d := pushImage(t, host, "team/multi", ii)
	ctx := t.Context()

	res, err := Sign(ctx, d, a.signer(t), WithRecursive(true))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Signed) != 4 {
		t.Fatalf("signed %d, want 4 (index + 3 platforms)", len(res.Signed))
	}
	im, _ := ii.IndexManifest()
	for _, m := range append(im.Manifests, v1.Descriptor{Digest: mustHash(t, d)}) {
		child := d.Context().Digest(m.Digest.String())
		if _, err := Verify(ctx, child, WithKey(a.verifier(t)), WithIgnoreTlog(true)); err != nil {
			t.Errorf("%s: %v", m.Digest, err)
		}
	}

	t.Run("not recursive signs only the index", func(t *testing.T) {
		ii := registrytest.Index(t, 2, 1, 128)
		d := pushImage(t, host, "team/multi2", ii)
		if _, err := Sign(ctx, d, a.signer(t)); err != nil {
			t.Fatal(err)
		}
		im, _ := ii.IndexManifest()
		_, err := Verify(ctx, d.Context().Digest(im.Manifests[0].Digest.String()), WithKey(a.verifier(t)), WithIgnoreTlog(true))
		if !errors.Is(err, ErrNoSignature) {
			t.Fatalf("child err = %v, want ErrNoSignature", err)
		}
	})
}

func TestSignRefusesNoDigest(t *testing.T) {
	a, _ := keys(t)
	if _, err := Sign(t.Context(), name.Digest{}, a.signer(t)); err == nil || !strings.Contains(err.Error(), "tags are never signed") {
		t.Fatalf("err = %v", err)
	}
	ctx, d := newRegistryImage(t)
	if _, err := Sign(ctx, d, nil); err == nil {
		t.Fatal("nil signer accepted")
	}
}

func mustHash(t testing.TB, d name.Digest) v1.Hash {
	t.Helper()
	h, err := v1.NewHash(d.DigestStr())
	if err != nil {
		t.Fatal(err)
	}
	return h
}
