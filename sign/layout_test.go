package sign

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// A release prepared offline: signed and attested in the layout, pushed,
// signatures copied, then verified in the registry.
func TestLayoutSignCopyVerify(t *testing.T) {
	a, b := keys(t)
	ctx := t.Context()
	dir := t.TempDir()
	ii := registrytest.Index(t, 2, 1, 128)
	h := registrytest.WriteLayout(t, dir, "v1", ii)

	res, err := SignLayout(ctx, dir, h, a.signer(t), WithRecursive(true), WithClaimedIdentity("ghcr.io/o/app"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Signed) != 3 {
		t.Fatalf("signed %d, want 3", len(res.Signed))
	}
	if _, err := AttestLayout(ctx, dir, h, a.signer(t), PredicateSPDXJSON, []byte(spdx)); err != nil {
		t.Fatal(err)
	}
	// Idempotent in the layout too.
	res, err = SignLayout(ctx, dir, h, a.signer(t), WithRecursive(true), WithClaimedIdentity("ghcr.io/o/app"))
	if err != nil || len(res.Skipped) != 3 {
		t.Fatalf("re-sign: %+v, %v", res, err)
	}
	// The signature images are listed under cosign's tags.
	p, _ := layout.FromPath(dir)
	idx, _ := p.ImageIndex()
	im, _ := idx.IndexManifest()
	tags := map[string]bool{}
	for _, d := range im.Manifests {
		tags[d.Annotations[refNameAnnotation]] = true
	}
	for _, want := range []string{"v1", AttachedTag(h, "sig"), AttachedTag(h, "att")} {
		if !tags[want] {
			t.Errorf("layout has no %q entry (has %v)", want, tags)
		}
	}

	// Publish (what publish.Publish does: content by digest), then copy.
	host := registrytest.InProcess(t)
	repo, _ := name.NewRepository(host + "/o/app")
	if err := remote.WriteIndex(repo.Digest(h.String()), ii); err != nil {
		t.Fatal(err)
	}
	// A signature already in the registry (another key) must survive.
	d := repo.Digest(h.String())
	if _, err := Sign(ctx, d, b.signer(t)); err != nil {
		t.Fatal(err)
	}
	written, err := CopySignatures(ctx, dir, h, repo)
	if err != nil {
		t.Fatal(err)
	}
	if len(written) != 4 { // index .sig + .att, two children .sig
		t.Fatalf("wrote %v, want 4 tags", written)
	}
	if _, err := Verify(ctx, d, WithKey(b.verifier(t)), WithIgnoreTlog(true)); err != nil {
		t.Fatalf("registry-side signature lost: %v", err)
	}
	got, err := Verify(ctx, d, WithKey(a.verifier(t)), WithIgnoreTlog(true))
	if err != nil || got.Signatures[0].ClaimedIdentity != "ghcr.io/o/app" {
		t.Fatalf("verify: %+v, %v", got, err)
	}
	if _, err := VerifyAttestation(ctx, d, PredicateSPDXJSON, WithKey(a.verifier(t)), WithIgnoreTlog(true)); err != nil {
		t.Fatal(err)
	}
	cim, _ := ii.IndexManifest()
	for _, c := range cim.Manifests {
		if _, err := Verify(ctx, repo.Digest(c.Digest.String()), WithKey(a.verifier(t)), WithIgnoreTlog(true)); err != nil {
			t.Fatalf("child: %v", err)
		}
	}
	if n := sigLayers(t, d, SignatureSuffix); n != 2 {
		t.Fatalf("index .sig has %d layers, want 2 (key b's and key a's)", n)
	}

	// A re-run writes nothing.
	written, err = CopySignatures(ctx, dir, h, repo)
	if err != nil || len(written) != 0 {
		t.Fatalf("second copy wrote %v, %v", written, err)
	}
}

func TestLayoutErrors(t *testing.T) {
	a, _ := keys(t)
	dir := t.TempDir()
	registrytest.WriteLayout(t, dir, "v1", registrytest.Image(t, 1, 64))
	other, _ := registrytest.Image(t, 1, 64).Digest()
	_, err := SignLayout(t.Context(), dir, other, a.signer(t))
	if err == nil || !strings.Contains(err.Error(), "is not in the layout") {
		t.Fatalf("err = %v", err)
	}
	_, err = SignLayout(t.Context(), t.TempDir(), other, a.signer(t))
	if err == nil {
		t.Fatal("empty directory accepted")
	}
	// Default identity is explicit about not being a registry.
	img := registrytest.Image(t, 1, 64)
	h := registrytest.WriteLayout(t, dir, "v2", img)
	if _, err := SignLayout(t.Context(), dir, h, a.signer(t)); err != nil {
		t.Fatal(err)
	}
	host := registrytest.InProcess(t)
	repo, _ := name.NewRepository(host + "/x/y")
	if err := remote.Write(repo.Digest(h.String()), img); err != nil {
		t.Fatal(err)
	}
	if _, err := CopySignatures(t.Context(), dir, h, repo); err != nil {
		t.Fatal(err)
	}
	got, err := Verify(t.Context(), repo.Digest(h.String()), WithKey(a.verifier(t)), WithIgnoreTlog(true))
	if err != nil {
		t.Fatal(err)
	}
	if got.Signatures[0].ClaimedIdentity != LayoutIdentity {
		t.Errorf("identity = %q", got.Signatures[0].ClaimedIdentity)
	}
	_, err = Verify(t.Context(), repo.Digest(other.String()), WithKey(a.verifier(t)), WithIgnoreTlog(true))
	if !errors.Is(err, ErrNoSignature) {
		t.Fatalf("err = %v", err)
	}
}
