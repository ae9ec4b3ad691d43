package main

import (
	"encoding/json"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/internal/cosigntest"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// A multi-platform release --format bundle gives the index and each
// platform manifest its bundle signature, and each platform its SBOM
// attestations, which the cosign v3 CLI verifies per platform digest; a
// re-run with the same key adds no referrer, on a registry with the
// referrers API and on one without.
func TestReleaseBundleIndex(t *testing.T) {
	bin := cosigntest.V3(t)
	priv, pub, _ := testKeys(t)
	for kind, start := range map[string]func(testing.TB) string{
		"referrers API": registrytest.InProcessReferrers,
		"tag schema":    registrytest.InProcess,
	} {
		t.Run(kind, func(t *testing.T) {
			dir, reg := flagProject(t), start(t)
			env := map[string]string{"XDG_CACHE_HOME": t.TempDir(), "COSIGN_PASSWORD": testPassword}
			release := func() {
				t.Helper()
				r := stevedore(t, env, "", "release", "--dir", dir, "--context", "app", "--file", "app/Containerfile",
					"--destination", reg+"/acme/app", "--platform", "linux/amd64,linux/arm64", "--key", priv, "--format", "bundle",
					"--ledger", "")
				if r.code != 0 {
					t.Fatalf("exit %d:\n%s", r.code, r.stderr)
				}
			}
			release()
			index, platforms := releasedIndex(t, reg+"/acme/app")
			count := func() map[string]map[string]int {
				t.Helper()
				out := map[string]map[string]int{}
				for _, d := range append([]name.Digest{index}, platforms...) {
					out[d.DigestStr()] = referrerKinds(t, d)
				}
				return out
			}
			before := count()
			for _, p := range platforms {
				got := before[p.DigestStr()]
				if got["https://sigstore.dev/cosign/sign/v1"] != 1 || got["https://spdx.dev/Document"] == 0 {
					t.Errorf("platform %s: referrers by predicate type %v, want one signature and its SPDX SBOM", p.DigestStr(), got)
				}
				dir := t.TempDir()
				cosigntest.Run(t, bin, dir, "verify", "--key", pub, "--insecure-ignore-tlog", "--allow-insecure-registry", p.String())
				cosigntest.Run(t, bin, dir, "verify-attestation", "--key", pub, "--insecure-ignore-tlog", "--allow-insecure-registry", "--type", "spdxjson", p.String())
				if v := stevedore(t, nil, "", "verify", p.String(), "--key", pub); v.code != 0 {
					t.Errorf("stevedore verify %s: exit %d\n%s", p, v.code, v.stderr)
				}
			}
			if got := before[index.DigestStr()]; got["https://sigstore.dev/cosign/sign/v1"] != 1 || got["https://slsa.dev/provenance/v1"] != 1 {
				t.Errorf("index: referrers by predicate type %v, want one signature and one provenance", got)
			}
			cosigntest.Run(t, bin, t.TempDir(), "verify", "--key", pub, "--insecure-ignore-tlog", "--allow-insecure-registry", index.String())

			release()
			after := count()
			for d, kinds := range before {
				if a, _ := json.Marshal(after[d]); string(a) != mustJSON(t, kinds) {
					t.Errorf("%s: referrers %s after a re-run, %s before", d, a, mustJSON(t, kinds))
				}
			}
		})
	}
}

// referrerKinds counts d's referrers by the predicate type their manifest
// announces.
func referrerKinds(t *testing.T, d name.Digest) map[string]int {
	t.Helper()
	idx, err := remote.Referrers(d)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, m := range im.Manifests {
		img, err := remote.Image(d.Context().Digest(m.Digest.String()))
		if err != nil {
			t.Fatal(err)
		}
		mf, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		out[mf.Annotations["dev.sigstore.bundle.predicateType"]]++
	}
	return out
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// releasedIndex is the two-platform index a release tagged latest in repo,
// and its platform manifests.
func releasedIndex(t *testing.T, repo string) (name.Digest, []name.Digest) {
	t.Helper()
	r, err := name.NewRepository(repo)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(r.Tag("latest"))
	if err != nil {
		t.Fatal(err)
	}
	h, _ := idx.Digest()
	im, err := idx.IndexManifest()
	if err != nil || len(im.Manifests) != 2 {
		t.Fatalf("index: %v, %v", im, err)
	}
	var platforms []name.Digest
	for _, m := range im.Manifests {
		platforms = append(platforms, r.Digest(m.Digest.String()))
	}
	return r.Digest(h.String()), platforms
}
