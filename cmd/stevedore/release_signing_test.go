package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/internal/cosigntest"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/internal/sigstoretest"
)

// nothingDone asserts a refused release built and pushed nothing: no
// layout or ledger under dist/, no key made, an empty build cache and an
// empty registry.
func nothingDone(t *testing.T, dir, cache, reg string) {
	t.Helper()
	for _, f := range []string{"dist", ".stevedore"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s was written", f)
		}
	}
	if entries, _ := os.ReadDir(cache); len(entries) > 0 {
		t.Errorf("the build cache %s has %d entries: something was built", cache, len(entries))
	}
	r, err := name.NewRegistry(reg)
	if err != nil {
		t.Fatal(err)
	}
	if repos, err := remote.Catalog(t.Context(), r); err != nil || len(repos) > 0 {
		t.Errorf("registry holds %v (%v): something was pushed", repos, err)
	}
}

// In CI no key is made on the runner: a release with no key and no OIDC
// token stops in the plan step, before building, naming the fixes.
func TestReleaseInCIWithoutSignerIsRefused(t *testing.T) {
	for name, ci := range map[string]map[string]string{
		"GitHub Actions without id-token": {"GITHUB_ACTIONS": "true", "GITHUB_WORKFLOW_REF": "o/r/.github/workflows/release.yml@refs/heads/main"},
		"GitLab":                          {"CI": "true", "GITLAB_CI": "true"},
	} {
		t.Run(name, func(t *testing.T) {
			dir, cache, reg := flagProject(t), t.TempDir(), registrytest.InProcess(t)
			ci["XDG_CACHE_HOME"] = cache
			r := stevedore(t, ci, "", "release", "--dir", dir, "--context", "app", "--file", "app/Containerfile", "--destination", reg+"/acme/app")
			if r.code != exitUsage {
				t.Fatalf("exit %d, want %d:\n%s%s", r.code, exitUsage, r.stdout, r.stderr)
			}
			for _, want := range []string{"plan", "permissions: id-token: write", "--key", "--sign none", "sign.key in stevedore.yaml"} {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			nothingDone(t, dir, cache, reg)

			// Saying so explicitly releases unsigned.
			r = stevedore(t, ci, "", "release", "--dir", dir, "--context", "app", "--file", "app/Containerfile", "--sign", "none")
			if r.code != 0 {
				t.Errorf("--sign none: exit %d:\n%s", r.code, r.stderr)
			}
		})
	}
}

// With `permissions: id-token: write` (the token request variables set)
// the default in GitHub Actions is keyless with the workflow's identity;
// an explicit --sign key without --key is still refused there.
func TestReleaseInGitHubActionsWithIDTokenIsKeyless(t *testing.T) {
	dir := flagProject(t)
	env := map[string]string{
		"XDG_CACHE_HOME": t.TempDir(), "GITHUB_ACTIONS": "true",
		"GITHUB_WORKFLOW_REF":            "o/r/.github/workflows/release.yml@refs/heads/main",
		"ACTIONS_ID_TOKEN_REQUEST_URL":   "http://127.0.0.1:1/token",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token",
	}
	args := []string{"release", "--dry-run", "--dir", dir, "--context", "app", "--file", "app/Containerfile"}
	r := stevedore(t, env, "", args...)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "keyless as https://github.com/o/r/.github/workflows/release.yml@refs/heads/main") {
		t.Errorf("the plan does not sign keyless as the workflow:\n%s", r.stdout)
	}
	r = stevedore(t, env, "", append(args, "--json")...)
	if !strings.Contains(r.stdout, `"signing": "keyless`) {
		t.Errorf("plan JSON:\n%s", r.stdout)
	}
	r = stevedore(t, env, "", append(args, "--sign", "key")...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "thrown away") {
		t.Errorf("--sign key without --key in CI: exit %d:\n%s", r.code, r.stderr)
	}
}

// Keyless in any CI takes $SIGSTORE_ID_TOKEN (GitLab's id_tokens); without
// a token the plan step says where to get one.
func TestReleaseKeylessTokenFromAnyCI(t *testing.T) {
	dir := flagProject(t)
	args := []string{"release", "--dry-run", "--dir", dir, "--context", "app", "--file", "app/Containerfile",
		"--sign", "keyless", "--certificate-identity", "https://gitlab.com/o/r//.gitlab-ci.yml@refs/heads/main", "--certificate-oidc-issuer", "https://gitlab.com"}
	env := map[string]string{"XDG_CACHE_HOME": t.TempDir(), "CI": "true", "GITLAB_CI": "true"}
	r := stevedore(t, env, "", args...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "SIGSTORE_ID_TOKEN") || !strings.Contains(r.stderr, "id_tokens") {
		t.Errorf("keyless without a token: exit %d:\n%s", r.code, r.stderr)
	}
	env["SIGSTORE_ID_TOKEN"] = "eyJhbGciOiJub25lIn0.e30."
	if r = stevedore(t, env, "", args...); r.code != 0 || !strings.Contains(r.stdout, "keyless") {
		t.Errorf("keyless with SIGSTORE_ID_TOKEN: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// Signing material is checked in the plan step: a missing, unreadable or
// undecryptable key stops the release before anything is built or pushed,
// naming the file and what to change.
func TestReleaseChecksSigningMaterialInPlan(t *testing.T) {
	priv, _, _ := testKeys(t)
	tests := []struct {
		name     string
		key      func(dir string) string
		password string
		want     []string
	}{
		{"missing key file", func(dir string) string { return filepath.Join(dir, "nope.key") }, testPassword, []string{"nope.key", "--key", "stevedore keygen"}},
		{"wrong password", func(string) string { return priv }, "wrong-" + testPassword, []string{priv, "COSIGN_PASSWORD"}},
		{"unreadable key", func(dir string) string {
			p := filepath.Join(dir, "dir.key")
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
			return p
		}, testPassword, []string{"dir.key", "--key"}},
		{"empty env:// key", func(string) string { return "env://NO_SUCH_KEY" }, testPassword, []string{"NO_SUCH_KEY", "--key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, cache, reg := flagProject(t), t.TempDir(), registrytest.InProcess(t)
			key := tt.key(t.TempDir())
			env := map[string]string{"XDG_CACHE_HOME": cache, "COSIGN_PASSWORD": tt.password}
			r := stevedore(t, env, "", "release", "--dir", dir, "--context", "app", "--file", "app/Containerfile", "--destination", reg+"/acme/app", "--key", key)
			if r.code != exitUsage {
				t.Fatalf("exit %d, want %d:\n%s%s", r.code, exitUsage, r.stdout, r.stderr)
			}
			for _, want := range append(tt.want, "release step plan failed") {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			if strings.Contains(r.stdout+r.stderr, testPassword) {
				t.Errorf("the password appears in the output")
			}
			nothingDone(t, dir, cache, reg)
		})
	}
	// The same checks in stevedore.yaml name its setting.
	dir, cache, reg := flagProject(t), t.TempDir(), registrytest.InProcess(t)
	yaml := "images:\n  - name: app\n    context: app\n    dockerfile: app/Containerfile\n    destinations: [" + reg + "/acme/app]\nsign:\n  key: missing.key\n"
	if err := os.WriteFile(filepath.Join(dir, "stevedore.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	r := stevedore(t, map[string]string{"XDG_CACHE_HOME": cache, "COSIGN_PASSWORD": testPassword}, "", "release", "--dir", dir)
	if r.code != exitUsage || !strings.Contains(r.stderr, filepath.Join(dir, "missing.key")) || !strings.Contains(r.stderr, "sign.key in stevedore.yaml") {
		t.Errorf("stevedore.yaml key: exit %d:\n%s", r.code, r.stderr)
	}
	nothingDone(t, dir, cache, reg)
}

// release --format bundle writes Sigstore bundles as referrers at registry
// and layout destinations, records the format per destination in the
// ledger, and the cosign v3 CLI and stevedore verify the result.
func TestReleaseBundleFormat(t *testing.T) {
	bin := cosigntest.V3(t)
	priv, pub, _ := testKeys(t)
	dir, reg := flagProject(t), registrytest.InProcess(t)
	env := map[string]string{"XDG_CACHE_HOME": t.TempDir(), "COSIGN_PASSWORD": testPassword}
	r := stevedore(t, env, "", "release", "--dir", dir, "--context", "app", "--file", "app/Containerfile",
		"--destination", reg+"/acme/app", "--destination", "oci:dist/app", "--key", priv, "--format", "bundle")
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	data, err := os.ReadFile(filepath.Join(dir, "dist/release.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ledger struct {
		Images []struct {
			Digest       string
			Verify       []string
			Destinations []struct{ Ref, Format, Signature string }
		}
	}
	if err := json.Unmarshal(data, &ledger); err != nil || len(ledger.Images) != 1 || len(ledger.Images[0].Destinations) != 2 {
		t.Fatalf("ledger: %v\n%s", err, data)
	}
	img := ledger.Images[0]
	for _, d := range img.Destinations {
		if d.Format != "bundle" || d.Signature != "" {
			t.Errorf("destination %s: format %q signature %q, want format bundle and no legacy tag", d.Ref, d.Format, d.Signature)
		}
	}
	ref := reg + "/acme/app@" + img.Digest
	// No legacy tag: the signature is a referrer only.
	legacyTag, _ := name.ParseReference(reg + "/acme/app:" + strings.Replace(img.Digest, ":", "-", 1) + ".sig")
	if _, err := remote.Head(legacyTag); err == nil {
		t.Errorf("--format bundle wrote the legacy tag %s", legacyTag)
	}
	cosigntest.Run(t, bin, t.TempDir(), "verify", "--key", pub, "--insecure-ignore-tlog", "--allow-insecure-registry", ref)
	cosigntest.Run(t, bin, t.TempDir(), "verify-attestation", "--key", pub, "--insecure-ignore-tlog", "--allow-insecure-registry", "--type", "slsaprovenance1", ref)
	if v := stevedore(t, nil, "", "verify", ref, "--key", pub); v.code != 0 {
		t.Errorf("stevedore verify: exit %d\n%s", v.code, v.stderr)
	}
	// The ledger's commands for the registry run with cosign v3 as printed.
	for _, c := range img.Verify {
		if !strings.HasPrefix(c, "cosign ") {
			continue
		}
		args := append(strings.Fields(c)[1:2], "--allow-insecure-registry")
		cosigntest.Run(t, bin, t.TempDir(), append(args, strings.Fields(c)[2:]...)...)
	}
	// A re-run makes no second bundle signature.
	again := stevedore(t, env, "", "release", "--dir", dir, "--context", "app", "--file", "app/Containerfile",
		"--destination", reg+"/acme/app", "--destination", "oci:dist/app", "--key", priv, "--format", "bundle")
	if again.code != 0 {
		t.Fatalf("again: exit %d:\n%s", again.code, again.stderr)
	}
	if v := stevedore(t, nil, "", "verify", ref, "--key", pub); v.code != 0 || !strings.Contains(v.stdout, "1 signature(s)") {
		t.Errorf("after a re-run: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}
	// Bundles need a key; a bad format is a usage error.
	if r := stevedore(t, env, "", "release", "--dry-run", "--dir", dir, "--context", "app", "--file", "app/Containerfile", "--format", "cms"); r.code != exitUsage || !strings.Contains(r.stderr, "--format") {
		t.Errorf("bad format: exit %d: %s", r.code, r.stderr)
	}
}

// The plan names the signing config keyless signing goes through (a
// private Sigstore's services, not the public Fulcio and Rekor) and the
// bundle format it implies.
func TestReleasePlanNamesSigningConfig(t *testing.T) {
	s := sigstoretest.Start(t)
	dir := flagProject(t)
	env := map[string]string{"XDG_CACHE_HOME": t.TempDir(), "CI": "true", "GITLAB_CI": "true", "SIGSTORE_ID_TOKEN": s.EmailToken(t, "ci@example.com")}
	r := stevedore(t, env, "", "release", "--dry-run", "--dir", dir, "--context", "app", "--file", "app/Containerfile",
		"--destination", registrytest.InProcess(t)+"/acme/app", "--signing-config", s.SigningConfig, "--trusted-root", s.TrustedRoot, "--ledger", "")
	if want := "keyless (signing config " + s.SigningConfig + "), bundle format"; r.code != 0 || !strings.Contains(r.stdout, want) {
		t.Errorf("plan: exit %d, want %q:\n%s%s", r.code, want, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, "Fulcio + Rekor") {
		t.Errorf("plan names the public services though a signing config is given:\n%s", r.stdout)
	}
}
