package sign

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sreevishnu07/stevedore/internal/cosigntest"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/publish"
)

// cosign3Sign signs and attests d with the cosign v3 CLI and returns the
// public key.
func cosign3Sign(t *testing.T, d name.Digest) []byte {
	t.Helper()
	dir := cosigntest.SignV3(t, d.String())
	pub, err := os.ReadFile(filepath.Join(dir, "cosign.pub"))
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func TestCosign3BundlesVerifyHere(t *testing.T) {
	for name, start := range map[string]func(testing.TB) string{
		"referrers API": registrytest.InProcessReferrers,
		"tag schema":    registrytest.InProcess,
	} {
		t.Run(name, func(t *testing.T) { testCosign3Bundles(t, start(t)) })
	}
}

func testCosign3Bundles(t *testing.T, host string) {
	ctx := t.Context()
	d := pushImage(t, host, "team/app", registrytest.Image(t, 1, 256))
	pub := cosign3Sign(t, d)
	v, err := LoadVerifier(pub)
	if err != nil {
		t.Fatal(err)
	}
	// No legacy .sig/.att exists: only the bundles can verify.
	if n := sigLayers(t, d, SignatureSuffix); n != 0 {
		t.Fatalf("cosign v3 wrote %d legacy signatures", n)
	}
	got, err := Verify(ctx, d, WithKey(v), WithIgnoreTlog(true))
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if len(got.Signatures) != 1 {
		t.Fatalf("signatures = %+v", got.Signatures)
	}
	att, err := VerifyAttestation(ctx, d, cosigntest.PredicateType, WithKey(v), WithIgnoreTlog(true))
	if err != nil {
		t.Fatalf("verify attestation: %v", err)
	}
	if len(att.Signatures) != 1 || string(att.Signatures[0].Predicate) != `{"a":1}` {
		t.Fatalf("attestations = %+v", att.Signatures)
	}
	if _, err := VerifyAttestation(ctx, d, PredicateSPDXJSON, WithKey(v), WithIgnoreTlog(true)); !errors.Is(err, ErrNoSignature) {
		t.Fatalf("other predicate type: %v", err)
	}

	// A different key.
	_, b := keys(t)
	if _, err := Verify(ctx, d, WithKey(b.verifier(t)), WithIgnoreTlog(true)); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("other key: %v", err)
	}

	// The same bundles attached to another digest: the signed statement
	// names the first one.
	other := pushImage(t, host, "team/app", registrytest.Image(t, 1, 300))
	moveBundles(t, d, other, nil)
	if _, err := Verify(ctx, other, WithKey(v), WithIgnoreTlog(true)); !errors.Is(err, ErrInvalidSignature) || !strings.Contains(err.Error(), "digest") {
		t.Fatalf("bundle for another digest: %v", err)
	}

	// A tampered payload: one byte of the statement changed.
	third := pushImage(t, host, "team/app", registrytest.Image(t, 1, 310))
	moveBundles(t, d, third, func(raw []byte) []byte {
		return bytes.Replace(raw, []byte(`"payload":"eyJ`), []byte(`"payload":"eyK`), 1)
	})
	if _, err := Verify(ctx, third, WithKey(v), WithIgnoreTlog(true)); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("tampered bundle: %v", err)
	}
}

// moveBundles attaches from's bundle referrers to to (optionally edited),
// as an attacker copying signatures would.
func moveBundles(t *testing.T, from, to name.Digest, edit func([]byte) []byte, ro ...remote.Option) {
	t.Helper()
	found, err := listBundles(from, CosignSignPredicate, []remote.Option{remote.WithAuth(authn.Anonymous)})
	if err != nil || len(found) == 0 {
		t.Fatalf("bundles of %s: %d, %v", from, len(found), err)
	}
	for _, f := range found {
		raw := f.raw
		if edit != nil {
			raw = edit(raw)
		}
		if err := attachBundle(to, raw, CosignSignPredicate, ro...); err != nil {
			t.Fatal(err)
		}
	}
}

// On CNCF distribution (TLS, auth): bundles copied there with their
// referrer manifests are found and verified the same way.
func TestCosign3BundlesOnDistribution(t *testing.T) {
	ctx, d := newRegistryImage(t)
	pub := cosign3Sign(t, d)
	v, err := LoadVerifier(pub)
	if err != nil {
		t.Fatal(err)
	}
	reg := registrytest.StartDistribution(t)
	ro := publish.RemoteOptions(ctx,
		publish.WithTransport(reg.Transport),
		publish.WithKeychain(publish.Keychain("", map[string]authn.AuthConfig{reg.Host: {Username: reg.Username, Password: reg.Password}})),
		publish.WithRetry(1, 0))
	img, err := remote.Image(d)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := img.Digest()
	dst, _ := name.NewRepository(reg.Host + "/team/app")
	dd := dst.Digest(h.String())
	if err := remote.Write(dd, img, ro...); err != nil {
		t.Fatal(err)
	}
	moveBundles(t, d, dd, nil, ro...)
	if _, err := Verify(ctx, dd, WithKey(v), WithIgnoreTlog(true), WithRemoteOptions(ro...)); err != nil {
		t.Fatalf("verify on distribution: %v", err)
	}
}

// stevedore's bundles verify with stevedore and with the cosign v3 CLI, on
// a registry with the referrers API and on one without.
func TestBundlesVerifyWithCosign3(t *testing.T) {
	bin := cosigntest.V3(t)
	a, b := keys(t)
	for name, start := range map[string]func(testing.TB) string{
		"referrers API": registrytest.InProcessReferrers,
		"tag schema":    registrytest.InProcess,
	} {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			d := pushImage(t, start(t), "team/app", registrytest.Image(t, 1, 256))
			if _, err := SignBundle(ctx, d, a.signer(t), WithAnnotations(map[string]string{"release": "1.0"})); err != nil {
				t.Fatal(err)
			}
			if err := AttestBundle(ctx, d, a.signer(t), PredicateSPDXJSON, []byte(spdx)); err != nil {
				t.Fatal(err)
			}
			if n := sigLayers(t, d, SignatureSuffix); n != 0 {
				t.Fatalf("%d legacy signatures written", n)
			}
			got, err := Verify(ctx, d, WithKey(a.verifier(t)), WithAnnotations(map[string]string{"release": "1.0"}))
			if err != nil || len(got.Signatures) != 1 || got.Signatures[0].Annotations["release"] != "1.0" {
				t.Fatalf("verify: %+v, %v", got, err)
			}
			if _, err := Verify(ctx, d, WithKey(a.verifier(t)), WithAnnotations(map[string]string{"release": "2.0"})); !errors.Is(err, ErrInvalidSignature) {
				t.Fatalf("other annotation: %v", err)
			}
			if _, err := VerifyAttestation(ctx, d, PredicateSPDXJSON, WithKey(b.verifier(t))); !errors.Is(err, ErrInvalidSignature) {
				t.Fatalf("other key: %v", err)
			}

			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "cosign.pub"), a.pub, 0o644); err != nil {
				t.Fatal(err)
			}
			cosigntest.Run(t, bin, dir, "verify", "--key", "cosign.pub", "--insecure-ignore-tlog", "--allow-insecure-registry", "-a", "release=1.0", d.String())
			cosigntest.Run(t, bin, dir, "verify-attestation", "--key", "cosign.pub", "--insecure-ignore-tlog", "--allow-insecure-registry", "--type", "spdxjson", d.String())
			if err := os.WriteFile(filepath.Join(dir, "other.pub"), b.pub, 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := cosigntest.Try(bin, dir, "verify", "--key", "other.pub", "--insecure-ignore-tlog", "--allow-insecure-registry", d.String()); err == nil {
				t.Fatalf("cosign v3 accepted another key:\n%s", out)
			}
		})
	}
}

// Attachers racing on registries without the referrers API (ggcr's and
// CNCF distribution) all land in the sha256-<hex> index.
func TestConcurrentBundleAttach(t *testing.T) {
	a, _ := keys(t)
	ctx := t.Context()
	reg := registrytest.StartDistribution(t)
	dist := publish.RemoteOptions(ctx,
		publish.WithTransport(reg.Transport),
		publish.WithKeychain(publish.Keychain("", map[string]authn.AuthConfig{reg.Host: {Username: reg.Username, Password: reg.Password}})),
		publish.WithRetry(1, 0))
	for _, r := range []struct {
		host string
		ro   []remote.Option
	}{{registrytest.InProcess(t), nil}, {reg.Host, dist}} {
		d := pushImage(t, r.host, "team/app", registrytest.Image(t, 1, 256), r.ro...)
		const n = 6
		errs := make(chan error, n)
		for i := range n {
			go func() {
				_, err := SignBundle(ctx, d, a.signer(t), WithRemoteOptions(r.ro...), WithAnnotations(map[string]string{"n": fmt.Sprint(i)}))
				errs <- err
			}()
		}
		for range n {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		got, err := Verify(ctx, d, WithKey(a.verifier(t)), WithRemoteOptions(r.ro...))
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Signatures) != n {
			t.Fatalf("%s: %d of %d concurrent bundles kept", r.host, len(got.Signatures), n)
		}
	}
}

// referrerCount counts the manifests listed as referrers of d (the API,
// or the sha256-<hex> index on registries without it).
func referrerCount(t testing.TB, d name.Digest, ro ...remote.Option) int {
	t.Helper()
	idx, err := remote.Referrers(d, ro...)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	return len(im.Manifests)
}

// Signing and attesting again with the same key and the same statement
// adds no referrer; another predicate or another key adds one.
func TestBundleRerunAddsNoReferrer(t *testing.T) {
	a, b := keys(t)
	for name, start := range map[string]func(testing.TB) string{
		"referrers API": registrytest.InProcessReferrers,
		"tag schema":    registrytest.InProcess,
	} {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			d := pushImage(t, start(t), "team/app", registrytest.Image(t, 1, 128))
			once := func(s *Signer, pred string) {
				t.Helper()
				if _, err := SignBundle(ctx, d, s, WithAnnotations(map[string]string{"release": "1.0"})); err != nil {
					t.Fatal(err)
				}
				if err := AttestBundle(ctx, d, s, PredicateSPDXJSON, []byte(pred)); err != nil {
					t.Fatal(err)
				}
				if err := AttestBundle(ctx, d, s, PredicateSLSA1, []byte(`{"buildDefinition":{"buildType":"https://example.com/t","externalParameters":{"source":"x"}},"runDetails":{"builder":{"id":"https://example.com/b"}}}`)); err != nil {
					t.Fatal(err)
				}
			}
			once(a.signer(t), spdx)
			if n := referrerCount(t, d); n != 3 {
				t.Fatalf("first run: %d referrers, want 3", n)
			}
			once(a.signer(t), spdx)
			if n := referrerCount(t, d); n != 3 {
				t.Fatalf("re-run with the same key and predicates: %d referrers, want 3", n)
			}
			// Another SBOM is a new statement: one more attestation.
			if err := AttestBundle(ctx, d, a.signer(t), PredicateSPDXJSON, []byte(`{"spdxVersion":"SPDX-2.3","name":"other"}`)); err != nil {
				t.Fatal(err)
			}
			if n := referrerCount(t, d); n != 4 {
				t.Fatalf("another predicate: %d referrers, want 4", n)
			}
			// Key b's statements are byte for byte key a's: only the
			// signature check tells them apart, and b's are made.
			once(b.signer(t), spdx)
			if n := referrerCount(t, d); n != 7 {
				t.Fatalf("another key: %d referrers, want 7", n)
			}
			att, err := VerifyAttestation(ctx, d, PredicateSPDXJSON, WithKey(a.verifier(t)))
			if err != nil || len(att.Signatures) != 2 {
				t.Fatalf("key a's SPDX attestations: %+v, %v; want 2", att, err)
			}
		})
	}
}

// With WithRecursive, every platform manifest of an index gets its bundle
// signature and attestation, which stevedore and the cosign v3 CLI verify
// per platform digest; a re-run adds nothing.
func TestBundleIndexRecursive(t *testing.T) {
	bin := cosigntest.V3(t)
	a, _ := keys(t)
	for kind, start := range map[string]func(testing.TB) string{
		"referrers API": registrytest.InProcessReferrers,
		"tag schema":    registrytest.InProcess,
	} {
		t.Run(kind, func(t *testing.T) {
			ctx := t.Context()
			ii := registrytest.Index(t, 2, 1, 64)
			d := pushImage(t, start(t), "team/app", ii)
			im, err := ii.IndexManifest()
			if err != nil {
				t.Fatal(err)
			}
			all := []name.Digest{d}
			for _, m := range im.Manifests {
				all = append(all, d.Context().Digest(m.Digest.String()))
			}
			for range 2 {
				res, err := SignBundles(ctx, d, a.signer(t), WithRecursive(true))
				if err != nil {
					t.Fatal(err)
				}
				if got := len(res.Signed) + len(res.Skipped); got != len(all) {
					t.Fatalf("signed %v skipped %v, want %d digests", res.Signed, res.Skipped, len(all))
				}
				if err := AttestBundle(ctx, d, a.signer(t), PredicateSPDXJSON, []byte(spdx), WithRecursive(true)); err != nil {
					t.Fatal(err)
				}
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "cosign.pub"), a.pub, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, p := range all {
				if n := referrerCount(t, p); n != 2 {
					t.Errorf("%s: %d referrers after two runs, want 2 (a signature and an attestation)", p, n)
				}
				if _, err := Verify(ctx, p, WithKey(a.verifier(t))); err != nil {
					t.Errorf("verify %s: %v", p, err)
				}
				cosigntest.Run(t, bin, dir, "verify", "--key", "cosign.pub", "--insecure-ignore-tlog", "--allow-insecure-registry", p.String())
				cosigntest.Run(t, bin, dir, "verify-attestation", "--key", "cosign.pub", "--insecure-ignore-tlog", "--allow-insecure-registry", "--type", "spdxjson", p.String())
			}
		})
	}
}

// cosign v2.6 also reads stevedore's bundles: it looks for bundle referrers
// first, and then insists on a trusted root, which it fetches from the
// public TUF repository unless given one. A key needs none of its
// contents, so an empty trusted root does, offline.
func TestBundlesVerifyWithCosign2(t *testing.T) {
	bin := cosigntest.V2(t)
	a, b := keys(t)
	ctx := t.Context()
	for kind, start := range map[string]func(testing.TB) string{
		"referrers API": registrytest.InProcessReferrers,
		"tag schema":    registrytest.InProcess,
	} {
		t.Run(kind, func(t *testing.T) {
			d := pushImage(t, start(t), "team/app", registrytest.Image(t, 1, 256))
			if _, err := SignBundle(ctx, d, a.signer(t)); err != nil {
				t.Fatal(err)
			}
			if err := AttestBundle(ctx, d, a.signer(t), PredicateSPDXJSON, []byte(spdx)); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			for f, data := range map[string][]byte{
				"cosign.pub":        a.pub,
				"other.pub":         b.pub,
				"trusted_root.json": []byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`),
			} {
				if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			flags := []string{"--insecure-ignore-tlog", "--allow-insecure-registry", "--trusted-root", "trusted_root.json"}
			out := cosigntest.Run(t, bin, dir, append(append([]string{"verify", "--key", "cosign.pub"}, flags...), d.String())...)
			if !strings.Contains(out, CosignSignPredicate) {
				t.Errorf("cosign v2 did not verify the bundle:\n%s", out)
			}
			cosigntest.Run(t, bin, dir, append(append([]string{"verify-attestation", "--key", "cosign.pub", "--type", "spdxjson"}, flags...), d.String())...)
			if out, err := cosigntest.Try(bin, dir, append(append([]string{"verify", "--key", "other.pub"}, flags...), d.String())...); err == nil {
				t.Fatalf("cosign v2 accepted another key:\n%s", out)
			}
		})
	}
}
