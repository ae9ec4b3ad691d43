package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/internal/cosigntest"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// pinnedIndex pushes a two-platform index as repo:1.0 and writes a deploy
// file pinning it; it returns the digest reference, the platform digests
// and the deploy directory.
func pinnedIndex(t *testing.T) (ref, repo string, platforms []v1.Hash, deploy string) {
	t.Helper()
	ii := registrytest.Index(t, 2, 1, 128)
	repo, h := pushed(t, ii)
	im, err := ii.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range im.Manifests {
		platforms = append(platforms, m.Digest)
	}
	deploy = t.TempDir()
	writeDeploy(t, deploy, repo+":1.0@"+h.String())
	return repo + "@" + h.String(), repo, platforms, deploy
}

func writeDeploy(t *testing.T, dir, image string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "app.yaml"), []byte("apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: "+image+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// deleteTags removes the signature stores of platform p: the legacy .sig
// tag and the referrers tag schema index (the in-process registry has no
// referrers API).
func deleteTags(t *testing.T, repo string, p v1.Hash, tags ...string) {
	t.Helper()
	r, err := name.NewRepository(repo)
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range tags {
		if err := remote.Delete(r.Tag(p.Algorithm + "-" + p.Hex + tag)); err != nil {
			t.Fatalf("deleting %s of %s: %v", tag, p, err)
		}
	}
}

// pin --check --verify of an index signed recursively by stevedore (legacy
// tags) verifies the index and each platform; --format bundle finds no
// bundle; once one platform's signature is removed, it fails with exit 4
// naming that platform, which a check of the index alone would miss.
func TestPinVerifyIndexStevedore(t *testing.T) {
	priv, pub, _ := testKeys(t)
	ref, repo, platforms, deploy := pinnedIndex(t)
	if r := stevedore(t, withPassword(), "", "sign", ref, "--key", priv, "--recursive"); r.code != 0 {
		t.Fatalf("sign: exit %d: %s", r.code, r.stderr)
	}
	check := []string{"pin", "--check", "--verify", "--key", pub, "--insecure-ignore-tlog"}
	for _, f := range []string{"auto", "legacy"} {
		if r := stevedore(t, nil, "", append(check, "--format", f, deploy)...); r.code != 0 {
			t.Fatalf("pin --check --verify --format %s: exit %d: %s", f, r.code, r.stderr)
		}
	}
	if r := stevedore(t, nil, "", append(check, "--format", "bundle", deploy)...); r.code != exitVerify || !strings.Contains(r.stderr, "no Sigstore bundle referrer") {
		t.Errorf("--format bundle of a legacy signature: exit %d: %s", r.code, r.stderr)
	}
	if r := stevedore(t, nil, "", append(check, "--format", "cosign", deploy)...); r.code != exitUsage || !strings.Contains(r.stderr, "auto, bundle or legacy") {
		t.Errorf("--format cosign: exit %d: %s", r.code, r.stderr)
	}

	deleteTags(t, repo, platforms[1], ".sig")
	r := stevedore(t, nil, "", append(check, deploy)...)
	if r.code != exitVerify || !strings.Contains(r.stderr, "platform manifest "+platforms[1].String()) || !strings.Contains(r.stderr, "--recursive") {
		t.Errorf("a platform unsigned: exit %d: %s", r.code, r.stderr)
	}
}

// An index signed recursively by the cosign v3 CLI (bundle referrers in the
// tag schema) passes pin --check --verify and pin --update --verify moves a
// pin to it; with one platform's bundle removed, both fail with exit 4
// naming the platform and --update leaves the pin where it was.
func TestPinVerifyIndexCosign3(t *testing.T) {
	bin := cosigntest.V3(t)
	ref, repo, platforms, deploy := pinnedIndex(t)
	keys := t.TempDir()
	cosigntest.Run(t, bin, keys, "generate-key-pair")
	cosigntest.Run(t, bin, keys, "signing-config", "create", "--out", "sc.json")
	cosigntest.Run(t, bin, keys, "sign", "--key", "cosign.key", "--signing-config", "sc.json", "--allow-insecure-registry", "-y", "--recursive", ref)
	pub := filepath.Join(keys, "cosign.pub")

	check := []string{"pin", "--check", "--verify", "--key", pub, deploy}
	if r := stevedore(t, nil, "", check...); r.code != 0 {
		t.Fatalf("pin --check --verify: exit %d: %s", r.code, r.stderr)
	}
	if r := stevedore(t, nil, "", "pin", "--check", "--verify", "--format", "legacy", "--key", pub, deploy); r.code != exitVerify || !strings.Contains(r.stderr, ".sig image") {
		t.Errorf("--format legacy of a bundle signature: exit %d: %s", r.code, r.stderr)
	}

	// A pin to an older digest of the tag moves to the signed index.
	old := registrytest.Image(t, 1, 64)
	oldDigest, _ := old.Digest()
	writeDeploy(t, deploy, repo+":1.0@"+oldDigest.String())
	update := []string{"pin", "--update", "--verify", "--key", pub, deploy}
	if r := stevedore(t, nil, "", update...); r.code != 0 || !strings.Contains(r.stdout, ref[len(repo)+1:]) {
		t.Fatalf("pin --update --verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	deleteTags(t, repo, platforms[0], "")
	if r := stevedore(t, nil, "", check...); r.code != exitVerify || !strings.Contains(r.stderr, "platform manifest "+platforms[0].String()) {
		t.Errorf("pin --check --verify, a platform unsigned: exit %d: %s", r.code, r.stderr)
	}
	writeDeploy(t, deploy, repo+":1.0@"+oldDigest.String())
	r := stevedore(t, nil, "", update...)
	if r.code != exitVerify || !strings.Contains(r.stderr, "platform manifest "+platforms[0].String()) {
		t.Errorf("pin --update --verify, a platform unsigned: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got, _ := os.ReadFile(filepath.Join(deploy, "app.yaml")); !strings.Contains(string(got), "@"+oldDigest.String()) {
		t.Errorf("pin --update moved a pin to a digest that failed verification:\n%s", got)
	}
}
