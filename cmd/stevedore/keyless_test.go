package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sreevishnu07/stevedore/internal/cosigntest"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/internal/sigstoretest"
)

// sign, attest and verify keyless against a real private Sigstore (Fulcio,
// Rekor v2, TSA) through its signing config and trusted root; the cosign v3
// CLI accepts what stevedore signed, and a wrong identity or issuer exits 4
// naming it.
func TestKeylessSignAttestVerify(t *testing.T) {
	bin := cosigntest.V3(t)
	s := sigstoretest.Start(t)
	repo, h := pushed(t, registrytest.Image(t, 1, 128))
	ref := repo + "@" + h.String()
	w := sigstoretest.GitHubWorkflow{Repository: "acme/app", Ref: "refs/tags/v2.0.0"}
	tok := s.GitHubToken(t, w)

	if r := stevedore(t, nil, "", "sign", ref, "--keyless", "--signing-config", s.SigningConfig, "--identity-token", tok); r.code != 0 || !strings.Contains(r.stdout, "(bundle)") {
		t.Fatalf("sign: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	pred := filepath.Join(t.TempDir(), "pred.json")
	if err := os.WriteFile(pred, []byte(`{"buildDefinition":{"buildType":"https://example.com/t","externalParameters":{"source":"x"}},"runDetails":{"builder":{"id":"https://example.com/b"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := stevedore(t, map[string]string{"SIGSTORE_ID_TOKEN": tok}, "", "attest", ref, "--signing-config", s.SigningConfig, "--predicate", pred, "--type", "slsaprovenance1"); r.code != 0 {
		t.Fatalf("attest: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	trust := []string{"--trusted-root", s.TrustedRoot, "--insecure-ignore-sct"}
	verify := func(extra ...string) result {
		return stevedore(t, nil, "", append(append([]string{"verify", ref}, trust...), extra...)...)
	}
	id := []string{"--certificate-identity", w.Identity(), "--certificate-oidc-issuer", s.GitHubIssuer}
	r := verify(id...)
	if r.code != 0 {
		t.Fatalf("verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "--trusted-root "+s.TrustedRoot) || !strings.Contains(r.stdout, "--insecure-ignore-sct") {
		t.Errorf("verify prints no cosign command with the trusted root:\n%s", r.stdout)
	}
	// The legacy format cannot record a Rekor v2 entry: refused, saying what to use.
	if r := stevedore(t, nil, "", "sign", ref, "--signing-config", s.SigningConfig, "--identity-token", tok, "--format", "legacy"); r.code != exitUsage || !strings.Contains(r.stderr, "--format bundle") {
		t.Errorf("--format legacy with Rekor v2: exit %d\n%s", r.code, r.stderr)
	}
	if r := verify(append(id, "--attestation", "slsaprovenance1")...); r.code != 0 {
		t.Fatalf("verify --attestation: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	other := "https://github.com/acme/other/.github/workflows/release.yml@refs/tags/v2.0.0"
	if r := verify("--certificate-identity", other, "--certificate-oidc-issuer", s.GitHubIssuer); r.code != exitVerify || !strings.Contains(r.stderr, other) {
		t.Errorf("another identity: exit %d\n%s", r.code, r.stderr)
	}
	if r := verify("--certificate-identity", w.Identity(), "--certificate-oidc-issuer", s.EmailIssuer); r.code != exitVerify || !strings.Contains(r.stderr, s.EmailIssuer) {
		t.Errorf("another issuer: exit %d\n%s", r.code, r.stderr)
	}
	if r := verify("--certificate-identity-regexp", ".*", "--certificate-oidc-issuer", s.GitHubIssuer); r.code != 0 || !strings.Contains(r.stderr, "warning") {
		t.Errorf("an identity regexp matching anything: exit %d, want 0 with a warning\n%s", r.code, r.stderr)
	}

	cosign := append([]string{"--allow-insecure-registry"}, append(trust, id...)...)
	cosigntest.Run(t, bin, t.TempDir(), append(append([]string{"verify"}, cosign...), "--certificate-github-workflow-ref", w.Ref, ref)...)
	cosigntest.Run(t, bin, t.TempDir(), append(append([]string{"verify-attestation", "--type", "slsaprovenance1"}, cosign...), ref)...)
}

// What the cosign v3 CLI signs and attests keyless, stevedore verifies.
func TestVerifyCosignV3KeylessSignature(t *testing.T) {
	bin := cosigntest.V3(t)
	s := sigstoretest.Start(t)
	repo, h := pushed(t, registrytest.Image(t, 1, 128))
	ref := repo + "@" + h.String()
	cosigntest.Run(t, bin, t.TempDir(), "sign", "--signing-config", s.SigningConfig, "--trusted-root", s.TrustedRoot,
		"--identity-token", s.EmailToken(t, "dev@example.com"), "--allow-insecure-registry", "-y", ref)
	id := []string{"--trusted-root", s.TrustedRoot, "--insecure-ignore-sct", "--certificate-identity", "dev@example.com", "--certificate-oidc-issuer", s.EmailIssuer}
	if r := stevedore(t, nil, "", append([]string{"verify", ref}, id...)...); r.code != 0 {
		t.Fatalf("verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	pred := filepath.Join(t.TempDir(), "pred.json")
	if err := os.WriteFile(pred, []byte(`{"buildDefinition":{"buildType":"https://example.com/t","externalParameters":{"source":"x"}},"runDetails":{"builder":{"id":"https://example.com/b"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cosigntest.Run(t, bin, t.TempDir(), "attest", "--signing-config", s.SigningConfig, "--trusted-root", s.TrustedRoot,
		"--identity-token", s.EmailToken(t, "dev@example.com"), "--predicate", pred, "--type", "slsaprovenance1", "--allow-insecure-registry", "-y", ref)
	if r := stevedore(t, nil, "", append([]string{"verify", ref, "--attestation", "slsaprovenance1"}, id...)...); r.code != 0 {
		t.Fatalf("verify --attestation: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := stevedore(t, nil, "", "verify", ref, "--trusted-root", s.TrustedRoot, "--insecure-ignore-sct", "--certificate-identity", "eve@example.com", "--certificate-oidc-issuer", s.EmailIssuer); r.code != exitVerify || !strings.Contains(r.stderr, "eve@example.com") {
		t.Errorf("another identity: exit %d\n%s", r.code, r.stderr)
	}
}

// A keyless release outside GitHub Actions, with its token from
// SIGSTORE_ID_TOKEN and a private Sigstore: it verifies itself against the
// identity the certificate carries, its ledger's verify commands run as
// printed with the cosign v3 CLI, and pin --check --verify accepts the
// pinned digest.
func TestKeylessReleaseWithSigstoreIDToken(t *testing.T) {
	bin := cosigntest.V3(t)
	s := sigstoretest.Start(t)
	dir, reg := flagProject(t), registrytest.InProcess(t)
	ledgerPath := filepath.Join(t.TempDir(), "release.json")
	cache := t.TempDir()
	env := map[string]string{"XDG_CACHE_HOME": cache, "CI": "true", "GITLAB_CI": "true", "SIGSTORE_ID_TOKEN": s.EmailToken(t, "ci@example.com")}
	// A Rekor v2 log records bundles only: the legacy format is refused in
	// the plan step, before anything is built, for a layout as for a
	// registry.
	r := stevedore(t, env, "", "release", "--dir", dir, "--context", "app", "--file", "app/Containerfile",
		"--destination", "oci:dist/app", "--signing-config", s.SigningConfig, "--format", "legacy", "--ledger", "")
	if r.code != exitUsage || !strings.Contains(r.stderr, "oci:dist/app") || !strings.Contains(r.stderr, "Rekor v2") {
		t.Errorf("keyless legacy to a layout with Rekor v2: exit %d\n%s", r.code, r.stderr)
	}
	nothingDone(t, dir, cache, reg)

	r = stevedore(t, env, "", "release", "--dir", dir, "--context", "app", "--file", "app/Containerfile",
		"--destination", reg+"/acme/app", "--signing-config", s.SigningConfig, "--trusted-root", s.TrustedRoot, "--ledger", ledgerPath)
	if r.code != 0 {
		t.Fatalf("release: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	data, err := os.ReadFile(ledgerPath)
	if err != nil {
		t.Fatal(err)
	}
	var ledger struct {
		Images []struct {
			Digest       string
			Verify       []string
			Destinations []struct {
				Ref, Format string
				Tags        []string
			}
		}
	}
	if err := json.Unmarshal(data, &ledger); err != nil || len(ledger.Images) != 1 {
		t.Fatalf("ledger: %v\n%s", err, data)
	}
	img := ledger.Images[0]
	if f := img.Destinations[0].Format; f != "bundle" {
		t.Errorf("format %q, want bundle", f)
	}
	var ran int
	for _, c := range img.Verify {
		for _, want := range []string{"--trusted-root " + s.TrustedRoot, "--certificate-identity ci@example.com", "--certificate-oidc-issuer " + s.EmailIssuer} {
			if !strings.Contains(c, want) {
				t.Errorf("verify command %q lacks %q", c, want)
			}
		}
		f := strings.Fields(c)
		if f[0] != "cosign" {
			continue
		}
		cosigntest.Run(t, bin, t.TempDir(), append([]string{f[1], "--allow-insecure-registry"}, f[2:]...)...)
		ran++
	}
	if ran < 3 {
		t.Errorf("ran %d cosign commands, want signature, SBOM and provenance:\n%s", ran, strings.Join(img.Verify, "\n"))
	}

	if len(img.Destinations[0].Tags) == 0 {
		t.Fatalf("the release pushed no tag:\n%s", data)
	}
	ref := reg + "/acme/app:" + img.Destinations[0].Tags[0] + "@" + img.Digest
	deploy := t.TempDir()
	if err := os.WriteFile(filepath.Join(deploy, "app.yaml"), []byte("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: app\n      image: "+ref+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pin := []string{"pin", "--check", "--verify", "--trusted-root", s.TrustedRoot, "--insecure-ignore-sct", "--certificate-oidc-issuer", s.EmailIssuer, deploy}
	if r := stevedore(t, nil, "", append(pin[:len(pin)-1:len(pin)-1], "--certificate-identity", "ci@example.com", deploy)...); r.code != 0 {
		t.Errorf("pin --check --verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := stevedore(t, nil, "", append(pin[:len(pin)-1:len(pin)-1], "--certificate-identity", "eve@example.com", deploy)...); r.code != exitVerify || !strings.Contains(r.stderr, "eve@example.com") {
		t.Errorf("pin --check --verify, another identity: exit %d, want %d\n%s%s", r.code, exitVerify, r.stdout, r.stderr)
	}

	// The same through stevedore.yaml, with the files in the project.
	yamlDir := flagProject(t)
	if err := os.MkdirAll(filepath.Join(yamlDir, "sigstore"), 0o755); err != nil {
		t.Fatal(err)
	}
	for src, dst := range map[string]string{s.SigningConfig: "sigstore/signing_config.json", s.TrustedRoot: "sigstore/trusted_root.json"} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(yamlDir, dst), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	yaml := "images:\n  - name: app\n    context: app\n    dockerfile: app/Containerfile\n    destinations: [" + reg + "/acme/yaml]\n" +
		"sign:\n  signing-config: sigstore/signing_config.json\n  trusted-root: sigstore/trusted_root.json\n"
	if err := os.WriteFile(filepath.Join(yamlDir, "stevedore.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, yamlDir, "add", ".")
	git(t, yamlDir, "commit", "-q", "-m", "chore: sign keyless")
	if r := stevedore(t, env, "", "release", "--dir", yamlDir, "--ledger", ledgerPath); r.code != 0 {
		t.Fatalf("release with stevedore.yaml: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if data, err = os.ReadFile(ledgerPath); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &ledger); err != nil || len(ledger.Images) != 1 || len(ledger.Images[0].Verify) == 0 {
		t.Fatalf("ledger: %v\n%s", err, data)
	}
	c := strings.Fields(ledger.Images[0].Verify[0])
	if !strings.Contains(ledger.Images[0].Verify[0], "--trusted-root "+filepath.Join(yamlDir, "sigstore/trusted_root.json")) {
		t.Errorf("verify command %q does not name the project's trusted root", ledger.Images[0].Verify[0])
	}
	cosigntest.Run(t, bin, t.TempDir(), append([]string{c[1], "--allow-insecure-registry"}, c[2:]...)...)

	// A broken signing config stops the release in the plan step, naming it.
	if err := os.WriteFile(filepath.Join(yamlDir, "sigstore/signing_config.json"), []byte(`{"mediaType": "application/vnd.dev.sigstore.signingconfig.v0.1+json"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, yamlDir, "commit", "-q", "-am", "chore: break it")
	if r := stevedore(t, env, "", "release", "--dir", yamlDir, "--ledger", ""); r.code != exitUsage || !strings.Contains(r.stderr, "signing_config.json") || !strings.Contains(r.stderr, "sign.signing-config") {
		t.Errorf("a bad signing config: exit %d\n%s", r.code, r.stderr)
	}
}

// In GitHub Actions with `permissions: id-token: write` a release signs
// keyless by default: the token comes from the job's token endpoint, the
// certificate carries the workflow's identity and claims, and the verify
// step and the action's verify-commands output require that identity.
// (The issuer is the local one: Fulcio here trusts no GitHub.)
func TestKeylessReleaseInGitHubActions(t *testing.T) {
	bin := cosigntest.V3(t)
	s := sigstoretest.Start(t)
	dir, reg := flagProject(t), registrytest.InProcess(t)
	w := sigstoretest.GitHubWorkflow{Repository: "acme/app", Ref: "refs/heads/main"}
	tokens := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		if req.Header.Get("Authorization") != "Bearer request-token" || req.URL.Query().Get("audience") != "sigstore" {
			http.Error(rw, "bad token request", http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(rw).Encode(map[string]string{"value": s.GitHubToken(t, w)})
	}))
	t.Cleanup(tokens.Close)
	out := filepath.Join(t.TempDir(), "out")
	env := map[string]string{
		"XDG_CACHE_HOME": t.TempDir(), "GITHUB_ACTIONS": "true", "CI": "true",
		"GITHUB_WORKFLOW_REF":          "acme/app/.github/workflows/release.yml@refs/heads/main",
		"ACTIONS_ID_TOKEN_REQUEST_URL": tokens.URL + "/token", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token",
		"GITHUB_OUTPUT": out, "GITHUB_STEP_SUMMARY": filepath.Join(t.TempDir(), "summary"),
	}
	r := stevedore(t, env, "", "release", "--dir", dir, "--context", "app", "--file", "app/Containerfile", "--ledger", "",
		"--destination", reg+"/acme/app", "--signing-config", s.SigningConfig, "--trusted-root", s.TrustedRoot, "--sign", "keyless",
		"--certificate-oidc-issuer", s.GitHubIssuer)
	if r.code != 0 {
		t.Fatalf("release: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	outputs, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	for _, l := range strings.Split(string(outputs), "\n") {
		if strings.HasPrefix(l, "cosign verify") {
			cmds = append(cmds, l)
		}
	}
	if len(cmds) < 2 {
		t.Fatalf("verify-commands output:\n%s", outputs)
	}
	for _, c := range cmds {
		if !strings.Contains(c, "--certificate-identity "+w.Identity()) {
			t.Errorf("%q does not require the workflow identity %s", c, w.Identity())
		}
		f := strings.Fields(c)
		cosigntest.Run(t, bin, t.TempDir(), append([]string{f[1], "--allow-insecure-registry", "--certificate-github-workflow-repository", "acme/app"}, f[2:]...)...)
	}
}

// --keyless with --fulcio-url or --rekor-url (the legacy format only) prints
// a deprecation notice whose cosign command, run with the cosign v3 CLI,
// writes a signing config stevedore accepts; with --signing-config they are
// refused.
func TestKeylessSigstoreURLsDeprecated(t *testing.T) {
	bin := cosigntest.V3(t)
	repo, h := pushed(t, registrytest.Image(t, 1, 128))
	ref := repo + "@" + h.String()
	dead := "http://127.0.0.1:1"
	r := stevedore(t, nil, "", "sign", ref, "--keyless", "--fulcio-url", dead, "--identity-token", "tok")
	if r.code == 0 || !strings.Contains(r.stderr, "--fulcio-url and --rekor-url are deprecated") || !strings.Contains(r.stderr, "--signing-config FILE") {
		t.Fatalf("--keyless --fulcio-url: exit %d\n%s", r.code, r.stderr)
	}
	_, cmd, _ := strings.Cut(r.stderr, "\n  cosign ")
	cmd, _, _ = strings.Cut(cmd, "\n")
	dir := t.TempDir()
	args := strings.Fields(strings.NewReplacer("FULCIO", dead, "REKOR", dead, "TSA", dead).Replace(cmd))
	cosigntest.Run(t, bin, dir, args...)
	sc := filepath.Join(dir, "signing_config.json")

	if r := stevedore(t, nil, "", "sign", ref, "--signing-config", sc, "--rekor-url", dead, "--identity-token", "tok"); r.code != exitUsage || !strings.Contains(r.stderr, "drop --fulcio-url and --rekor-url") {
		t.Errorf("--signing-config --rekor-url: exit %d\n%s", r.code, r.stderr)
	}
	// Without the URLs the config is read and used: signing fails reaching
	// its (dead) Fulcio, not reading the file.
	if r := stevedore(t, nil, "", "sign", ref, "--signing-config", sc, "--identity-token", "tok"); r.code == 0 || !strings.Contains(r.stderr, "getting a certificate from "+dead) || strings.Contains(r.stderr, "deprecated") {
		t.Errorf("--signing-config from the notice: exit %d\n%s", r.code, r.stderr)
	}
}

// A keyless multi-platform release through the local Sigstore signs the
// index and each platform manifest: the cosign v3 CLI verifies each with
// the certificate identity and issuer, and pin --check --verify of the
// index checks every platform keyless.
func TestKeylessReleaseIndex(t *testing.T) {
	bin := cosigntest.V3(t)
	s := sigstoretest.Start(t)
	dir, reg := flagProject(t), registrytest.InProcess(t)
	env := map[string]string{"XDG_CACHE_HOME": t.TempDir(), "SIGSTORE_ID_TOKEN": s.EmailToken(t, "ci@example.com")}
	r := stevedore(t, env, "", "release", "--dir", dir, "--context", "app", "--file", "app/Containerfile",
		"--destination", reg+"/acme/app", "--platform", "linux/amd64,linux/arm64",
		"--signing-config", s.SigningConfig, "--trusted-root", s.TrustedRoot, "--ledger", "")
	if r.code != 0 {
		t.Fatalf("release: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	index, platforms := releasedIndex(t, reg+"/acme/app")
	verify := []string{"verify", "--allow-insecure-registry", "--trusted-root", s.TrustedRoot, "--insecure-ignore-sct",
		"--certificate-identity", "ci@example.com", "--certificate-oidc-issuer", s.EmailIssuer}
	for _, d := range append([]name.Digest{index}, platforms...) {
		cosigntest.Run(t, bin, t.TempDir(), append(verify, d.String())...)
	}
	other := append(append([]string{}, verify[:len(verify)-3]...), "eve@example.com", "--certificate-oidc-issuer", s.EmailIssuer, platforms[1].String())
	if out, err := cosigntest.Try(bin, t.TempDir(), other...); err == nil {
		t.Errorf("cosign verify of a platform with another identity passed:\n%s", out)
	}

	deploy := t.TempDir()
	writeDeploy(t, deploy, index.Context().Name()+":latest@"+index.DigestStr())
	pin := []string{"pin", "--check", "--verify", "--trusted-root", s.TrustedRoot, "--insecure-ignore-sct",
		"--certificate-identity", "ci@example.com", "--certificate-oidc-issuer", s.EmailIssuer, deploy}
	if r := stevedore(t, nil, "", pin...); r.code != 0 {
		t.Errorf("pin --check --verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	p1, _ := v1.NewHash(platforms[1].DigestStr())
	deleteTags(t, index.Context().Name(), p1, "")
	if r := stevedore(t, nil, "", pin...); r.code != exitVerify || !strings.Contains(r.stderr, "platform manifest "+p1.String()) {
		t.Errorf("pin --check --verify, a platform's bundle removed: exit %d\n%s", r.code, r.stderr)
	}
}
