package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/internal/sigstoretest"
)

func TestMergeTwoRunners(t *testing.T) {
	reg := registrytest.InProcess(t)
	var refs []string
	for _, arch := range []string{"amd64", "arm64"} {
		img := registrytest.Image(t, 1, 64)
		cf, _ := img.ConfigFile()
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture = "linux", arch
		img, _ = mutate.ConfigFile(img, cf)
		d, _ := img.Digest()
		ref, _ := name.NewDigest(reg + "/ci/app@" + d.String())
		if err := remote.Write(ref, img); err != nil {
			t.Fatal(err)
		}
		refs = append(refs, ref.String())
	}
	keys := t.TempDir()
	if r := stevedore(t, map[string]string{"COSIGN_PASSWORD": "pw"}, "", "keygen", "--output-key-prefix", filepath.Join(keys, "cosign")); r.code != 0 {
		t.Fatalf("keygen: %s", r.stderr)
	}
	env := map[string]string{"COSIGN_PASSWORD": "pw"}
	r := stevedore(t, env, "", append([]string{"merge", "--to", reg + "/acme/app", "--tag", "1.0.0", "--key", filepath.Join(keys, "cosign.key")}, refs...)...)
	if r.code != 0 {
		t.Fatalf("merge: exit %d: %s", r.code, r.stderr)
	}
	ref := strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(ref, reg+"/acme/app@sha256:") {
		t.Fatalf("stdout = %q", r.stdout)
	}
	v := stevedore(t, nil, "", "verify", ref, "--key", filepath.Join(keys, "cosign.pub"), "--insecure-ignore-tlog")
	if v.code != 0 {
		t.Errorf("the merged index does not verify: %s", v.stderr)
	}
	tag, _ := name.ParseReference(reg + "/acme/app:1.0.0")
	idx, err := remote.Index(tag)
	if err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	if len(im.Manifests) != 2 {
		t.Errorf("index has %d manifests", len(im.Manifests))
	}
	if bad := stevedore(t, nil, "", "merge", "--to", reg+"/acme/app", reg+"/ci/app:latest"); bad.code != exitUsage {
		t.Errorf("a tag was accepted: exit %d", bad.code)
	}
}

// merge with a Rekor v2 signing config signs in the bundle format (as sign
// does with one): the index and each platform image verify keyless,
// recursively; --format legacy is refused naming --format bundle.
func TestMergeKeylessSigningConfig(t *testing.T) {
	s := sigstoretest.Start(t)
	reg := registrytest.InProcess(t)
	var refs []string
	for _, arch := range []string{"amd64", "arm64"} {
		img := registrytest.Image(t, 1, 64)
		cf, _ := img.ConfigFile()
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture = "linux", arch
		img, _ = mutate.ConfigFile(img, cf)
		d, _ := img.Digest()
		ref, _ := name.NewDigest(reg + "/ci/app@" + d.String())
		if err := remote.Write(ref, img); err != nil {
			t.Fatal(err)
		}
		refs = append(refs, ref.String())
	}
	w := sigstoretest.GitHubWorkflow{Repository: "acme/app", Ref: "refs/tags/v1.0.0"}
	tok := s.GitHubToken(t, w)
	merge := func(extra ...string) result {
		args := append([]string{"merge", "--destination", reg + "/acme/app", "--signing-config", s.SigningConfig, "--identity-token", tok}, extra...)
		return stevedore(t, nil, "", append(args, refs...)...)
	}
	if r := merge("--format", "legacy"); r.code != exitUsage || !strings.Contains(r.stderr, "--format bundle") {
		t.Errorf("merge --format legacy with Rekor v2: exit %d: %s", r.code, r.stderr)
	}
	r := merge()
	if r.code != 0 {
		t.Fatalf("merge: exit %d: %s", r.code, r.stderr)
	}
	ref := strings.TrimSpace(r.stdout)
	v := stevedore(t, nil, "", "verify", ref, "--recursive", "--trusted-root", s.TrustedRoot, "--insecure-ignore-sct",
		"--certificate-identity", w.Identity(), "--certificate-oidc-issuer", s.GitHubIssuer)
	if v.code != 0 || strings.Count(v.stdout, "verified platform ") != 2 {
		t.Errorf("the merged index does not verify recursively: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}
}
