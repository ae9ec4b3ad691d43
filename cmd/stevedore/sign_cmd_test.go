package main

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

const testPassword = "s3cret-Pa55word-do-not-print"

// Key pairs cost a second of scrypt each: made once per test binary, by
// stevedore keygen itself.
var (
	keysOnce sync.Once
	keyDir   string
	keyErr   string
)

func testKeys(t *testing.T) (priv, pub, otherPub string) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if keyDir, err = os.MkdirTemp("", "stevedore-keys-"); err != nil {
			keyErr = err.Error()
			return
		}
		for _, p := range []string{"a", "b"} {
			r := stevedore(t, map[string]string{"COSIGN_PASSWORD": testPassword}, "", "keygen", "--output-key-prefix", filepath.Join(keyDir, p))
			if r.code != 0 {
				keyErr = r.stderr
				return
			}
		}
	})
	if keyErr != "" {
		t.Fatalf("keygen: %s", keyErr)
	}
	return filepath.Join(keyDir, "a.key"), filepath.Join(keyDir, "a.pub"), filepath.Join(keyDir, "b.pub")
}

func withPassword() map[string]string { return map[string]string{"COSIGN_PASSWORD": testPassword} }

func noPassword(t *testing.T, rs ...result) {
	t.Helper()
	for _, r := range rs {
		if strings.Contains(r.stdout+r.stderr, testPassword) {
			t.Errorf("COSIGN_PASSWORD printed:\n%s\n%s", r.stdout, r.stderr)
		}
	}
}

func pushed(t *testing.T, x any) (repo string, h v1.Hash) {
	t.Helper()
	host := registrytest.InProcess(t)
	repo = host + "/team/app"
	r, err := name.NewRepository(repo)
	if err != nil {
		t.Fatal(err)
	}
	switch v := x.(type) {
	case v1.Image:
		h, _ = v.Digest()
		err = remote.Write(r.Tag("1.0"), v)
	case v1.ImageIndex:
		h, _ = v.Digest()
		err = remote.WriteIndex(r.Tag("1.0"), v)
	}
	if err != nil {
		t.Fatal(err)
	}
	return repo, h
}

func TestKeygen(t *testing.T) {
	priv, pub, _ := testKeys(t)
	fi, err := os.Stat(priv)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v, mode %v", priv, err, fi.Mode())
	}
	b, _ := os.ReadFile(priv)
	if !strings.Contains(string(b), "ENCRYPTED SIGSTORE PRIVATE KEY") {
		t.Errorf("private key is not a cosign key:\n%s", b)
	}
	if b, _ := os.ReadFile(pub); !strings.Contains(string(b), "PUBLIC KEY") {
		t.Errorf("public key:\n%s", b)
	}
	r := stevedore(t, withPassword(), "", "keygen", "--output-key-prefix", strings.TrimSuffix(priv, ".key"))
	if r.code != 2 || !strings.Contains(r.stderr, "refusing to overwrite") {
		t.Errorf("overwrite: exit %d: %s", r.code, r.stderr)
	}
	if after, _ := os.ReadFile(priv); string(after) != string(b) && string(after) == "" {
		t.Error("key changed")
	}
	noPassword(t, r)
}

func TestSignVerifyRegistry(t *testing.T) {
	priv, pub, otherPub := testKeys(t)
	repo, h := pushed(t, registrytest.Index(t, 2, 1, 128))
	ref := repo + "@" + h.String()

	sign := stevedore(t, withPassword(), "", "sign", ref, "--key", priv, "--recursive", "-a", "release=1.0")
	if sign.code != 0 {
		t.Fatalf("sign: exit %d: %s", sign.code, sign.stderr)
	}
	if strings.Count(sign.stdout, "signed ") != 3 || !strings.Contains(sign.stdout, "signed "+ref+"\n") {
		t.Errorf("sign output:\n%s", sign.stdout)
	}
	again := stevedore(t, withPassword(), "", "sign", ref, "--key", priv, "-a", "release=1.0")
	if again.code != 0 || !strings.Contains(again.stdout, "skipped "+ref) {
		t.Errorf("re-sign: exit %d\n%s%s", again.code, again.stdout, again.stderr)
	}

	ok := stevedore(t, nil, "", "verify", ref, "--key", pub, "--insecure-ignore-tlog", "-a", "release=1.0")
	if ok.code != 0 {
		t.Fatalf("verify: exit %d: %s", ok.code, ok.stderr)
	}
	for _, want := range []string{"verified " + ref, "release=1.0", "cosign verify --key " + pub + " --insecure-ignore-tlog -a release=1.0 --allow-insecure-registry " + ref} {
		if !strings.Contains(ok.stdout, want) {
			t.Errorf("verify output lacks %q:\n%s", want, ok.stdout)
		}
	}

	// What sign makes with its defaults verifies with verify's defaults,
	// offline (this machine has no network), and a wrong key still exits 4.
	plain := stevedore(t, nil, "", "verify", ref, "--key", pub)
	if plain.code != 0 || !strings.Contains(plain.stdout, "verified "+ref) || !strings.Contains(plain.stdout, "cosign verify --key "+pub+" --insecure-ignore-tlog") {
		t.Errorf("verify with defaults: exit %d: %s%s", plain.code, plain.stdout, plain.stderr)
	}
	if r := stevedore(t, nil, "", "verify", ref, "--key", otherPub); r.code != exitVerify || strings.Contains(r.stderr, "TUF") {
		t.Errorf("other key, defaults: exit %d: %s", r.code, r.stderr)
	}

	bad := stevedore(t, nil, "", "verify", ref, "--key", otherPub, "--insecure-ignore-tlog")
	if bad.code != exitVerify || !strings.Contains(bad.stderr, "invalid signature") {
		t.Errorf("other key: exit %d: %s", bad.code, bad.stderr)
	}
	// An unsigned digest: no signature, same exit code, a different reason.
	repo2, h2 := pushed(t, registrytest.Image(t, 1, 64))
	none := stevedore(t, nil, "", "verify", repo2+"@"+h2.String(), "--key", pub, "--insecure-ignore-tlog")
	if none.code != exitVerify || !strings.Contains(none.stderr, "no signature") {
		t.Errorf("unsigned: exit %d: %s", none.code, none.stderr)
	}
	noPassword(t, sign, again, ok, bad, none)
}

func TestSignRefusesTag(t *testing.T) {
	priv, pub, _ := testKeys(t)
	repo, h := pushed(t, registrytest.Image(t, 1, 64))
	r := stevedore(t, withPassword(), "", "sign", repo+":1.0", "--key", priv)
	if r.code != 2 || !strings.Contains(r.stderr, "stevedore sign "+repo+"@"+h.String()) || !strings.Contains(r.stderr, "--resolve") {
		t.Fatalf("tag: exit %d: %s", r.code, r.stderr)
	}
	if r := stevedore(t, nil, "", "verify", repo+"@"+h.String(), "--key", pub, "--insecure-ignore-tlog"); r.code != exitVerify {
		t.Errorf("a refused sign signed something: exit %d", r.code)
	}
	// A tag that does not resolve still shows the digest form.
	r = stevedore(t, withPassword(), "", "sign", repo+":nope", "--key", priv)
	if r.code != 2 || !strings.Contains(r.stderr, repo+"@sha256:<digest>") {
		t.Errorf("unknown tag: exit %d: %s", r.code, r.stderr)
	}
	r = stevedore(t, withPassword(), "", "sign", repo+":1.0", "--key", priv, "--resolve")
	if r.code != 0 || !strings.Contains(r.stderr, "resolved "+repo+":1.0 to "+repo+"@"+h.String()) || !strings.Contains(r.stdout, "signed "+repo+"@"+h.String()) {
		t.Errorf("--resolve: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	noPassword(t, r)
}

func TestSignKeyErrors(t *testing.T) {
	priv, _, _ := testKeys(t)
	repo, h := pushed(t, registrytest.Image(t, 1, 64))
	ref := repo + "@" + h.String()
	wrong := stevedore(t, map[string]string{"COSIGN_PASSWORD": "wrong-" + testPassword}, "", "sign", ref, "--key", priv)
	if wrong.code == 0 || !strings.Contains(wrong.stderr, "COSIGN_PASSWORD") || strings.Contains(wrong.stderr, "wrong-"+testPassword) {
		t.Errorf("wrong password: exit %d: %s", wrong.code, wrong.stderr)
	}
	r := stevedore(t, map[string]string{"GITHUB_ACTIONS": "true"}, "", "sign", ref, "--keyless")
	if r.code != 2 || !strings.Contains(r.stderr, "permissions: id-token: write") {
		t.Errorf("keyless without token: exit %d: %s", r.code, r.stderr)
	}
	// KMS URIs are linked (sign/kms) but reach the cloud: not testable offline.
	// env://VAR holds the PEM.
	pem, _ := os.ReadFile(priv)
	r = stevedore(t, map[string]string{"COSIGN_PASSWORD": testPassword, "MY_KEY": string(pem)}, "", "sign", ref, "--key", "env://MY_KEY")
	if r.code != 0 {
		t.Errorf("env:// key: exit %d: %s", r.code, r.stderr)
	}
	r = stevedore(t, nil, "", "sign", ref, "--key", "env://UNSET")
	if r.code != 2 {
		t.Errorf("empty env:// key: exit %d: %s", r.code, r.stderr)
	}
	noPassword(t, wrong, r)
}

func TestAttestSBOMVerify(t *testing.T) {
	priv, pub, otherPub := testKeys(t)
	repo, h := pushed(t, registrytest.Image(t, 1, 256))
	ref := repo + "@" + h.String()
	r := stevedore(t, withPassword(), "", "attest", ref, "--key", priv, "--sbom")
	if r.code != 0 || !strings.Contains(r.stdout, "attested (spdxjson) "+ref) {
		t.Fatalf("attest: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	v := stevedore(t, nil, "", "verify", ref, "--key", pub, "--insecure-ignore-tlog", "--attestation", "spdxjson")
	if v.code != 0 || !strings.Contains(v.stdout, "type https://spdx.dev/Document") || !strings.Contains(v.stdout, "cosign verify-attestation --type spdxjson") {
		t.Fatalf("verify --attestation: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}
	v = stevedore(t, nil, "", "verify", ref, "--key", otherPub, "--insecure-ignore-tlog", "--attestation", "spdxjson")
	if v.code != exitVerify {
		t.Errorf("other key: exit %d: %s", v.code, v.stderr)
	}
	v = stevedore(t, nil, "", "verify", ref, "--key", pub, "--insecure-ignore-tlog", "--attestation", "cyclonedx")
	if v.code != exitVerify || !strings.Contains(v.stderr, "spdx.dev/Document") {
		t.Errorf("other type: exit %d: %s", v.code, v.stderr)
	}
	// A predicate file.
	pred := filepath.Join(t.TempDir(), "p.json")
	os.WriteFile(pred, []byte(`{"buildDefinition":{"buildType":"https://example.com/b","externalParameters":{"x":"y"}},"runDetails":{"builder":{"id":"https://example.com/x"}}}`), 0o644)
	r = stevedore(t, withPassword(), "", "attest", ref, "--key", priv, "--predicate", pred, "--type", "slsaprovenance1")
	if r.code != 0 {
		t.Fatalf("attest --predicate: exit %d: %s", r.code, r.stderr)
	}
	if v := stevedore(t, nil, "", "verify", ref, "--key", pub, "--insecure-ignore-tlog", "--attestation", "slsaprovenance1"); v.code != 0 {
		t.Errorf("verify provenance: exit %d: %s", v.code, v.stderr)
	}
	noPassword(t, r)
}

// Offline release: sign and attest in the layout, verify there, publish,
// verify at the registry.
func TestLayoutSignPublishVerify(t *testing.T) {
	priv, pub, otherPub := testKeys(t)
	dir := filepath.Join(t.TempDir(), "image")
	h := registrytest.WriteLayout(t, dir, "", registrytest.Index(t, 2, 1, 128))
	lref := "oci:" + dir + "@" + h.String()

	r := stevedore(t, withPassword(), "", "sign", "oci:"+dir, "--key", priv)
	if r.code != 2 || !strings.Contains(r.stderr, "stevedore sign "+lref) {
		t.Fatalf("layout without digest: exit %d: %s", r.code, r.stderr)
	}
	r = stevedore(t, withPassword(), "", "sign", lref, "--key", priv, "--recursive")
	if r.code != 0 || strings.Count(r.stdout, "signed oci:") != 3 {
		t.Fatalf("sign layout: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := stevedore(t, withPassword(), "", "attest", lref, "--key", priv, "--sbom"); r.code != 0 || strings.Count(r.stdout, "attested") != 2 {
		t.Fatalf("attest layout: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	v := stevedore(t, nil, "", "verify", lref, "--key", pub, "--insecure-ignore-tlog")
	if v.code != 0 || !strings.Contains(v.stdout, "REGISTRY/REPOSITORY@"+h.String()) {
		t.Fatalf("verify layout: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}
	if v := stevedore(t, nil, "", "verify", lref, "--key", otherPub, "--insecure-ignore-tlog"); v.code != exitVerify {
		t.Errorf("verify layout, other key: exit %d: %s", v.code, v.stderr)
	}
	if v := stevedore(t, nil, "", "verify", lref, "--key", pub, "--insecure-ignore-tlog", "--format", "bundle"); v.code != exitVerify || !strings.Contains(v.stderr, "no Sigstore bundle referrer") {
		t.Errorf("verify layout --format bundle: exit %d: %s", v.code, v.stderr)
	}

	// oci:DIR still names the image although index.json lists signatures.
	host := registrytest.InProcess(t)
	out := filepath.Join(t.TempDir(), "copy")
	p := stevedore(t, nil, "", "publish", "--ledger", "", "--from", "oci:"+dir, "--to", host+"/team/app", "--to", "oci:"+out, "--tag", "1.0")
	if p.code != 0 {
		t.Fatalf("publish: exit %d: %s", p.code, p.stderr)
	}
	if !strings.Contains(p.stderr, "carried sha256-"+h.Hex+".sig to "+host+"/team/app") {
		t.Errorf("publish did not report the signatures:\n%s", p.stderr)
	}
	ref := host + "/team/app@" + h.String()
	if v := stevedore(t, nil, "", "verify", ref, "--key", pub, "--insecure-ignore-tlog"); v.code != 0 {
		t.Errorf("verify after publish: exit %d: %s", v.code, v.stderr)
	}
	if v := stevedore(t, nil, "", "verify", host+"/team/app:1.0", "--key", pub, "--insecure-ignore-tlog"); v.code != 0 || !strings.Contains(v.stdout, "verified "+ref) {
		t.Errorf("verify tag after publish: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}
	if v := stevedore(t, nil, "", "verify", "oci:"+out+"@"+h.String(), "--key", pub, "--insecure-ignore-tlog"); v.code != 0 {
		t.Errorf("verify layout copy: exit %d: %s", v.code, v.stderr)
	}
	// A re-publish carries nothing new.
	p = stevedore(t, nil, "", "publish", "--ledger", "", "--from", "oci:"+dir, "--to", host+"/team/app", "--to", "oci:"+out)
	if p.code != 0 || strings.Contains(p.stderr, "carried") {
		t.Errorf("re-publish: exit %d: %s", p.code, p.stderr)
	}
}

// Messages name what the user typed: pin's --verify (not the verify
// command) when it lacks a key, and keygen's warning carries the stevedore:
// prefix every other message has.
func TestVerifyAndKeygenWording(t *testing.T) {
	deploy := t.TempDir()
	if err := os.WriteFile(filepath.Join(deploy, "app.yaml"), []byte("image: ghcr.io/acme/app:1@sha256:"+strings.Repeat("a", 64)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := stevedore(t, nil, "", "pin", "--check", "--verify", deploy)
	if r.code != exitUsage || !strings.Contains(r.stderr, "--verify needs --key PUB") {
		t.Errorf("pin --check --verify without a key: exit %d: %s", r.code, r.stderr)
	}
	r = stevedore(t, nil, "", "verify", "ghcr.io/acme/app@sha256:"+strings.Repeat("a", 64))
	if r.code != exitUsage || !strings.Contains(r.stderr, "stevedore: verify needs --key PUB") {
		t.Errorf("verify without a key: exit %d: %s", r.code, r.stderr)
	}
	r = stevedore(t, map[string]string{"COSIGN_PASSWORD": ""}, "", "keygen", "--output-key-prefix", filepath.Join(t.TempDir(), "cosign"))
	if r.code != 0 || !strings.HasPrefix(r.stderr, "stevedore: warning: $COSIGN_PASSWORD is empty") {
		t.Errorf("keygen with an empty password: exit %d: %q", r.code, r.stderr)
	}
}
