package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/internal/sigstoretest"
)

// twoRunnerImages pushes a linux/amd64 and a linux/arm64 image by digest to
// a new registry's ci/app, as two matrix runners would, and returns the
// registry and their references.
func twoRunnerImages(t *testing.T) (string, []string) {
	t.Helper()
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
	return reg, refs
}

func TestMergeTwoRunners(t *testing.T) {
	reg, refs := twoRunnerImages(t)
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
	reg, refs := twoRunnerImages(t)
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

// merge --progress shows its steps through the same event model as
// release: json gives one event per line (read, push, sign and tag started
// and done, the signature and the tag moved); plain the "=> step" lines;
// quiet only warnings.
func TestMergeProgress(t *testing.T) {
	reg, refs := twoRunnerImages(t)
	keys := t.TempDir()
	env := map[string]string{"COSIGN_PASSWORD": "pw"}
	if r := stevedore(t, env, "", "keygen", "--output-key-prefix", filepath.Join(keys, "cosign")); r.code != 0 {
		t.Fatalf("keygen: %s", r.stderr)
	}
	r := stevedore(t, env, "", append([]string{"merge", "--progress", "json", "--destination", reg + "/acme/app", "--tag", "1.0.0", "--key", filepath.Join(keys, "cosign.key")}, refs...)...)
	if r.code != 0 {
		t.Fatalf("merge --progress json: exit %d: %s", r.code, r.stderr)
	}
	index := strings.TrimSpace(r.stdout)
	digest := index[strings.Index(index, "@")+1:]
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("stderr line %q is not JSON: %v", line, err)
		}
		switch ev["event"] {
		case "phase":
			seen[ev["step"].(string)+" "+ev["status"].(string)] = true
		case "tag_moved":
			if ev["ref"] != reg+"/acme/app:1.0.0" || ev["digest"] != digest {
				t.Errorf("tag event %s, want %s:1.0.0 → %s", line, reg+"/acme/app", digest)
			}
			seen["tag moved"] = true
		case "signed":
			if ev["ref"] != index || ev["format"] != "legacy" {
				t.Errorf("signed event %s, want %s (legacy)", line, index)
			}
			seen["signed"] = true
		}
	}
	for _, want := range []string{"read started", "read done", "push started", "push done", "sign started", "sign done", "tag started", "tag done", "tag moved", "signed"} {
		if !seen[want] {
			t.Errorf("no %q event in\n%s", want, r.stderr)
		}
	}

	r = stevedore(t, nil, "", append([]string{"merge", "--progress", "plain", "--destination", reg + "/acme/other"}, refs...)...)
	if r.code != 0 || !strings.Contains(r.stderr, "=> push") || !strings.Contains(r.stderr, "warning: no --key or --keyless: the index is not signed") {
		t.Errorf("merge --progress plain: exit %d:\n%s", r.code, r.stderr)
	}
	r = stevedore(t, nil, "", append([]string{"merge", "--progress", "quiet", "--destination", reg + "/acme/other"}, refs...)...)
	if r.code != 0 || strings.TrimSpace(r.stderr) != "warning: no --key or --keyless: the index is not signed" {
		t.Errorf("merge --progress quiet: exit %d, want only the warning:\n%s", r.code, r.stderr)
	}
	if r := stevedore(t, nil, "", append([]string{"merge", "--progress", "fancy", "--destination", reg + "/acme/other"}, refs...)...); r.code != exitUsage || !strings.Contains(r.stderr, "--progress") {
		t.Errorf("merge --progress fancy: exit %d: %s", r.code, r.stderr)
	}
}
