package sign

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sreevishnu07/stevedore/internal/cosigntest"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// layoutReferrers lists the index.json entries of the layout at dir that
// are bundle referrers, failing on one that is not stored as ORAS stores
// referrers (untagged, artifactType and annotations on the descriptor).
func layoutReferrers(t *testing.T, dir string) []v1.Descriptor {
	t.Helper()
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	ii, _ := p.ImageIndex()
	im, err := ii.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var out []v1.Descriptor
	for _, d := range im.Manifests {
		if d.ArtifactType != BundleArtifactType {
			continue
		}
		if _, tagged := d.Annotations[refNameAnnotation]; tagged {
			t.Errorf("referrer %s is tagged: %v", d.Digest, d.Annotations)
		}
		if d.Annotations[bundlePredicateAnnotation] == "" || d.MediaType != "application/vnd.oci.image.manifest.v1+json" {
			t.Errorf("referrer descriptor %+v lacks the manifest's annotations or media type", d)
		}
		out = append(out, d)
	}
	return out
}

// Bundles signed into a layout verify there, are not made twice, and
// publish carries them to registries with and without the referrers API,
// where cosign v3 verifies them.
func TestLayoutBundlesSignVerifyCopy(t *testing.T) {
	for kind, start := range map[string]func(testing.TB) string{
		"referrers API": registrytest.InProcessReferrers,
		"tag schema":    registrytest.InProcess,
	} {
		t.Run(kind, func(t *testing.T) { testLayoutBundles(t, start(t)) })
	}
}

func testLayoutBundles(t *testing.T, host string) {
	a, b := keys(t)
	ctx := t.Context()
	dir := t.TempDir()
	ii := registrytest.Index(t, 2, 1, 128)
	h := registrytest.WriteLayout(t, dir, "v1", ii)
	ann := WithAnnotations(map[string]string{"release": "1.0"})
	id := WithClaimedIdentity("ghcr.io/o/app")

	res, err := SignLayoutBundles(ctx, dir, h, a.signer(t), WithRecursive(true), ann, id)
	if err != nil || len(res.Signed) != 3 {
		t.Fatalf("sign: %+v, %v", res, err)
	}
	if res, err := AttestLayoutBundle(ctx, dir, h, a.signer(t), PredicateSPDXJSON, []byte(spdx), id); err != nil || len(res.Signed) != 1 {
		t.Fatalf("attest: %+v, %v", res, err)
	}
	if n := len(layoutReferrers(t, dir)); n != 4 {
		t.Fatalf("layout lists %d bundle referrers, want 4 (3 signatures, 1 attestation)", n)
	}
	// A re-run adds nothing.
	if res, err := SignLayoutBundles(ctx, dir, h, a.signer(t), WithRecursive(true), ann, id); err != nil || len(res.Skipped) != 3 {
		t.Fatalf("re-sign: %+v, %v", res, err)
	}
	if res, err := AttestLayoutBundle(ctx, dir, h, a.signer(t), PredicateSPDXJSON, []byte(spdx), id); err != nil || len(res.Skipped) != 1 {
		t.Fatalf("re-attest: %+v, %v", res, err)
	}
	if n := len(layoutReferrers(t, dir)); n != 4 {
		t.Fatalf("after re-runs the layout lists %d bundle referrers, want 4", n)
	}

	got, err := VerifyLayoutFormat(ctx, dir, h, BundleFormat, WithKey(a.verifier(t)), WithRecursive(true), ann)
	if err != nil || !got.Bundle || len(got.Platforms) != 2 || got.Signatures[0].Annotations["release"] != "1.0" {
		t.Fatalf("verify bundle: %+v, %v", got, err)
	}
	if !strings.Contains(got.Command, "REGISTRY/REPOSITORY") && !strings.Contains(got.Command, "ghcr.io/o/app") {
		t.Errorf("command %q names no repository", got.Command)
	}
	if got, err := VerifyLayout(ctx, dir, h, WithKey(a.verifier(t))); err != nil || !got.Bundle {
		t.Fatalf("verify auto: %+v, %v", got, err)
	}
	if _, err := VerifyLayoutFormat(ctx, dir, h, LegacyFormat, WithKey(a.verifier(t)), WithIgnoreTlog(true)); !errors.Is(err, ErrNoSignature) {
		t.Fatalf("verify legacy with bundles only: %v", err)
	}
	if _, err := VerifyLayoutFormat(ctx, dir, h, AnyFormat, WithKey(b.verifier(t))); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("other key: %v", err)
	}
	att, err := VerifyLayoutAttestationFormat(ctx, dir, h, PredicateSPDXJSON, BundleFormat, WithKey(a.verifier(t)))
	if err != nil || len(att.Signatures) != 1 || !strings.Contains(string(att.Signatures[0].Predicate), "SPDX-2.3") {
		t.Fatalf("verify attestation: %+v, %v", att, err)
	}
	if _, err := VerifyLayoutAttestationFormat(ctx, dir, h, PredicateCycloneDX, BundleFormat, WithKey(a.verifier(t))); !errors.Is(err, ErrNoSignature) {
		t.Fatalf("other predicate type: %v", err)
	}

	// Legacy next to them (--format both); publish, then carry.
	if _, err := SignLayout(ctx, dir, h, a.signer(t), id); err != nil {
		t.Fatal(err)
	}
	repo, _ := name.NewRepository(host + "/o/app")
	if err := remote.WriteIndex(repo.Digest(h.String()), ii); err != nil {
		t.Fatal(err)
	}
	written, err := CopySignatures(ctx, dir, h, repo)
	if err != nil {
		t.Fatal(err)
	}
	bundles := 0
	for _, w := range written {
		if strings.HasPrefix(w, "bundle ") {
			bundles++
		}
	}
	if bundles != 4 || len(written) != 5 {
		t.Fatalf("carried %v, want 4 bundles and the .sig tag", written)
	}
	d := repo.Digest(h.String())
	got, err = VerifyFormat(ctx, d, BundleFormat, WithKey(a.verifier(t)), WithRecursive(true), ann)
	if err != nil || len(got.Platforms) != 2 {
		t.Fatalf("registry bundles: %+v, %v", got, err)
	}
	// The statement names the claimed identity, wherever it is carried.
	if c := got.Signatures[0].ClaimedIdentity; c != "ghcr.io/o/app" {
		t.Errorf("carried bundle claims %q, want ghcr.io/o/app", c)
	}
	if _, err := VerifyAttestationFormat(ctx, d, PredicateSPDXJSON, BundleFormat, WithKey(a.verifier(t))); err != nil {
		t.Fatalf("registry bundle attestation: %v", err)
	}
	if _, err := VerifyFormat(ctx, d, LegacyFormat, WithKey(a.verifier(t)), WithIgnoreTlog(true)); err != nil {
		t.Fatalf("registry legacy: %v", err)
	}
	if written, err := CopySignatures(ctx, dir, h, repo); err != nil || len(written) != 0 {
		t.Fatalf("second copy wrote %v, %v", written, err)
	}

	// Layout to layout, as publish --to oci:… does.
	out := t.TempDir()
	registrytest.WriteLayout(t, out, "v1", ii)
	if written, err := CopyLayoutSignatures(ctx, dir, h, out); err != nil || len(written) != 5 {
		t.Fatalf("layout copy wrote %v, %v", written, err)
	}
	if _, err := VerifyLayoutFormat(ctx, out, h, BundleFormat, WithKey(a.verifier(t)), WithRecursive(true)); err != nil {
		t.Fatalf("copied layout: %v", err)
	}
	if written, err := CopyLayoutSignatures(ctx, dir, h, out); err != nil || len(written) != 0 {
		t.Fatalf("second layout copy wrote %v, %v", written, err)
	}

	bin := cosigntest.V3(t)
	cdir := t.TempDir()
	for f, data := range map[string][]byte{
		"cosign.pub":        a.pub,
		"trusted_root.json": []byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`),
	} {
		if err := os.WriteFile(filepath.Join(cdir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	flags := []string{"--key", "cosign.pub", "--insecure-ignore-tlog", "--allow-insecure-registry", "--trusted-root", "trusted_root.json"}
	if out := cosigntest.Run(t, bin, cdir, append(append([]string{"verify", "-a", "release=1.0"}, flags...), d.String())...); !strings.Contains(out, CosignSignPredicate) {
		t.Errorf("cosign v3 did not verify the carried bundle:\n%s", out)
	}
	cosigntest.Run(t, bin, cdir, append(append([]string{"verify-attestation", "--type", "spdxjson"}, flags...), d.String())...)
}

// A bundle altered in the layout does not verify, in any format that
// reads bundles.
func TestLayoutBundleTampered(t *testing.T) {
	a, _ := keys(t)
	ctx := t.Context()
	dir, h := bundleSignedLayout(t, a)
	if _, err := VerifyLayoutFormat(ctx, dir, h, BundleFormat, WithKey(a.verifier(t))); err != nil {
		t.Fatalf("before tampering: %v", err)
	}
	tamperLayoutBundle(t, dir)
	for _, f := range []Format{AnyFormat, BundleFormat} {
		if _, err := VerifyLayoutFormat(ctx, dir, h, f, WithKey(a.verifier(t))); !errors.Is(err, ErrInvalidSignature) {
			t.Errorf("format %d after tampering: %v", f, err)
		}
	}
}

// tamperLayoutBundle rewrites the DSSE signature of the one bundle in the
// layout at dir, in place.
func tamperLayoutBundle(t *testing.T, dir string) {
	t.Helper()
	refs := layoutReferrers(t, dir)
	if len(refs) != 1 {
		t.Fatalf("%d referrers", len(refs))
	}
	p, _ := layout.FromPath(dir)
	raw, err := p.Bytes(refs[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	var m v1.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "blobs", "sha256", m.Layers[0].Digest.Hex)
	var bundle map[string]any
	data, err := os.ReadFile(file)
	if err != nil || json.Unmarshal(data, &bundle) != nil {
		t.Fatalf("reading bundle: %v", err)
	}
	env := bundle["dsseEnvelope"].(map[string]any)
	env["signatures"] = []map[string]string{{"sig": base64.StdEncoding.EncodeToString([]byte("not the signature"))}}
	data, _ = json.Marshal(bundle)
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// bundleSignedLayout is a layout holding one image, signed by k in the
// bundle format.
func bundleSignedLayout(t *testing.T, k testKey) (string, v1.Hash) {
	t.Helper()
	dir := t.TempDir()
	h := registrytest.WriteLayout(t, dir, "v1", registrytest.Image(t, 1, 128))
	if _, err := SignLayoutBundles(t.Context(), dir, h, k.signer(t)); err != nil {
		t.Fatal(err)
	}
	return dir, h
}
