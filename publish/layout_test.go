package publish

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

func TestLoadLayoutErrors(t *testing.T) {
	ctx := testCtx(t)
	missing := filepath.Join(t.TempDir(), "nope")
	if _, err := Load(ctx, mustRef(t, "oci:"+missing)); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing layout: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "l")
	a := registrytest.WriteLayout(t, dir, "a", registrytest.Image(t, 1, 64))
	registrytest.WriteLayout(t, dir, "b", registrytest.Image(t, 1, 64))
	_, err := Load(ctx, mustRef(t, "oci:"+dir))
	if !errors.Is(err, ErrBadReference) || !strings.Contains(err.Error(), ":a") || !strings.Contains(err.Error(), ":b") {
		t.Errorf("ambiguous layout: %v", err)
	}
	if _, err := Load(ctx, mustRef(t, "oci:"+dir+":c")); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing tag: %v", err)
	}
	got, err := Load(ctx, mustRef(t, "oci:"+dir+":a"))
	if err != nil || got.Digest() != a {
		t.Errorf("Load :a = %v, %v", got.Digest(), err)
	}
}

// A signed layout lists sha256-<hex>.sig/.att images next to the image
// (sign.SignLayout writes them): oci:DIR still means the one image, and the
// signature images stay addressable by tag.
func TestLoadLayoutIgnoresAttachedImages(t *testing.T) {
	ctx := testCtx(t)
	dir := filepath.Join(t.TempDir(), "l")
	img := registrytest.Index(t, 2, 1, 64)
	h := registrytest.WriteLayout(t, dir, "", img)
	sigTag := "sha256-" + h.Hex + ".sig"
	registrytest.WriteLayout(t, dir, sigTag, registrytest.Image(t, 1, 32))
	registrytest.WriteLayout(t, dir, "sha256-"+h.Hex+".att", registrytest.Image(t, 1, 32))
	// A referrer listed as ORAS lists one: untagged, with its artifactType.
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	bundle := registrytest.Image(t, 1, 16)
	if err := p.AppendImage(bundle, layout.WithAnnotations(map[string]string{"dev.sigstore.bundle.predicateType": "https://sigstore.dev/cosign/sign/v1"})); err != nil {
		t.Fatal(err)
	}
	markArtifact(t, dir, bundle)
	got, err := Load(ctx, mustRef(t, "oci:"+dir))
	if err != nil || got.Digest() != h {
		t.Fatalf("Load oci:DIR = %v, %v; want %s", got.Digest(), err, h)
	}
	sig, err := Load(ctx, mustRef(t, "oci:"+dir+":"+sigTag))
	if err != nil || sig.IsIndex() {
		t.Fatalf("Load :%s = %v, %v", sigTag, sig.Digest(), err)
	}
	// Two real images stay ambiguous, and the message lists only them.
	registrytest.WriteLayout(t, dir, "b", registrytest.Image(t, 1, 64))
	_, err = Load(ctx, mustRef(t, "oci:"+dir))
	if bd, _ := bundle.Digest(); !errors.Is(err, ErrBadReference) || strings.Contains(err.Error(), ".sig") || strings.Contains(err.Error(), bd.String()) || !strings.Contains(err.Error(), ":b") {
		t.Errorf("ambiguous layout: %v", err)
	}
	for tag, want := range map[string]bool{
		sigTag:                          true,
		"sha256-" + h.Hex + ".sbom":     true,
		"sha256-" + h.Hex + ".sig.bak":  false,
		"sha256-" + h.Hex[:10] + ".sig": false,
		"v1.0.0":                        false,
		"sha512-" + h.Hex + ".sig":      false,
	} {
		if IsAttachedTag(tag) != want {
			t.Errorf("IsAttachedTag(%q) = %v", tag, !want)
		}
	}
}

// markArtifact sets the artifactType of img's index.json entry in the
// layout at dir, as ORAS lists a referrer.
func markArtifact(t *testing.T, dir string, img v1.Image) {
	t.Helper()
	d, _ := img.Digest()
	file := filepath.Join(dir, "index.json")
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var im v1.IndexManifest
	if err := json.Unmarshal(raw, &im); err != nil {
		t.Fatal(err)
	}
	for i := range im.Manifests {
		if im.Manifests[i].Digest == d {
			im.Manifests[i].ArtifactType = "application/vnd.dev.sigstore.bundle.v0.3+json"
		}
	}
	raw, _ = json.Marshal(im)
	if err := os.WriteFile(file, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}
