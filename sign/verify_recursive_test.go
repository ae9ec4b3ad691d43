package sign

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// An index signed recursively in both formats verifies per format with
// WithRecursive; removing one platform's signature from the registry (the
// legacy tag, or its bundle in the referrers tag schema) fails that
// format's check, naming the platform digest, while the index's own
// signature still verifies.
func TestVerifyFormatRecursive(t *testing.T) {
	a, _ := keys(t)
	ctx := t.Context()
	ii := registrytest.Index(t, 2, 1, 64)
	d := pushImage(t, registrytest.InProcess(t), "team/app", ii)
	if _, err := Sign(ctx, d, a.signer(t), WithRecursive(true)); err != nil {
		t.Fatal(err)
	}
	if _, err := SignBundles(ctx, d, a.signer(t), WithRecursive(true)); err != nil {
		t.Fatal(err)
	}
	im, err := ii.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	key := WithKey(a.verifier(t))
	for _, f := range []Format{AnyFormat, LegacyFormat, BundleFormat} {
		v, err := VerifyFormat(ctx, d, f, key, WithRecursive(true))
		if err != nil {
			t.Fatalf("format %d: %v", f, err)
		}
		if len(v.Platforms) != 2 {
			t.Fatalf("format %d: %d platforms verified, want 2", f, len(v.Platforms))
		}
	}

	del := func(tag string) {
		t.Helper()
		if err := remote.Delete(d.Context().Tag(tag)); err != nil {
			t.Fatalf("deleting %s: %v", tag, err)
		}
	}
	p0, p1 := im.Manifests[0].Digest, im.Manifests[1].Digest
	del(AttachedTag(p0, SignatureSuffix))
	del(p1.Algorithm + "-" + p1.Hex) // the referrers tag schema's index
	for f, gone := range map[Format]string{LegacyFormat: p0.String(), BundleFormat: p1.String()} {
		if _, err := VerifyFormat(ctx, d, f, key); err != nil {
			t.Errorf("format %d, index only: %v", f, err)
		}
		_, err := VerifyFormat(ctx, d, f, key, WithRecursive(true))
		if !errors.Is(err, ErrNoSignature) || !strings.Contains(err.Error(), "platform manifest "+gone) {
			t.Errorf("format %d recursive: err = %v, want ErrNoSignature naming platform %s", f, err, gone)
		}
	}
	// Either format signs each platform, so "any" still verifies.
	if _, err := VerifyFormat(ctx, d, AnyFormat, key, WithRecursive(true)); err != nil {
		t.Errorf("any format recursive: %v", err)
	}
}

// In an OCI layout too, WithRecursive requires every platform manifest's
// signature: an index signed alone fails naming the first platform, one
// signed recursively verifies with each platform listed.
func TestVerifyLayoutRecursive(t *testing.T) {
	a, _ := keys(t)
	ctx := t.Context()
	dir := t.TempDir()
	ii := registrytest.Index(t, 2, 1, 64)
	h := registrytest.WriteLayout(t, dir, "v1", ii)
	im, err := ii.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	key := WithKey(a.verifier(t))
	if _, err := SignLayout(ctx, dir, h, a.signer(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyLayout(ctx, dir, h, key); err != nil {
		t.Fatalf("index alone: %v", err)
	}
	_, err = VerifyLayout(ctx, dir, h, key, WithRecursive(true))
	if !errors.Is(err, ErrNoSignature) || !strings.Contains(err.Error(), "platform manifest "+im.Manifests[0].Digest.String()) {
		t.Fatalf("recursive, platforms unsigned: err = %v", err)
	}
	if _, err := SignLayout(ctx, dir, h, a.signer(t), WithRecursive(true)); err != nil {
		t.Fatal(err)
	}
	v, err := VerifyLayout(ctx, dir, h, key, WithRecursive(true))
	if err != nil || len(v.Platforms) != 2 {
		t.Fatalf("recursive after signing each platform: %v, %+v", err, v)
	}
}
