package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/sign"
)

func TestPinCheckWriteVerifyPolicy(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.InProcess(t)
	push := func(repo string) name.Digest {
		img := registrytest.Image(t, 1, 64)
		ref, _ := name.ParseReference(reg + "/acme/" + repo)
		if err := remote.Write(ref, img); err != nil {
			t.Fatal(err)
		}
		d, _ := img.Digest()
		return ref.Context().Digest(d.String())
	}
	web, api := push("web:1.0"), push("api:2")
	keys := t.TempDir()
	priv, pub, err := sign.GenerateKeys([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	pubFile := filepath.Join(keys, "cosign.pub")
	if err := os.WriteFile(pubFile, pub, 0o644); err != nil {
		t.Fatal(err)
	}
	signer, err := sign.LoadSigner(priv, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sign.Sign(ctx, web, signer, sign.WithTlogUpload(false)); err != nil {
		t.Fatal(err)
	}

	deploy := t.TempDir()
	manifest := "# the app\napiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n" +
		"        - name: web\n          image: " + reg + "/acme/web:1.0   # pinned by CI\n" +
		"        - name: api\n          image: \"" + reg + "/acme/api:2\"\n"
	file := filepath.Join(deploy, "app.yaml")
	if err := os.WriteFile(file, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}

	r := stevedore(t, map[string]string{"GITHUB_ACTIONS": "true"}, "", "pin", "--check", deploy)
	if r.code != exitVerify || !strings.Contains(r.stderr, file+":9:18:") || !strings.Contains(r.stdout, "::error file="+file+",line=11") {
		t.Errorf("check: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}

	if r = stevedore(t, nil, "", "pin", "--write", deploy); r.code != 0 {
		t.Fatalf("write: exit %d: %s", r.code, r.stderr)
	}
	got, _ := os.ReadFile(file)
	want := strings.Replace(strings.Replace(manifest, "web:1.0", "web:1.0@"+web.DigestStr(), 1), "api:2", "api:2@"+api.DigestStr(), 1)
	if string(got) != want {
		t.Errorf("pinned file:\n%s\nwant:\n%s", got, want)
	}
	if r = stevedore(t, nil, "", "pin", "--check", deploy); r.code != 0 {
		t.Errorf("check after write: exit %d: %s", r.code, r.stderr)
	}

	verify := []string{"pin", "--check", "--verify", "--key", pubFile, "--insecure-ignore-tlog", deploy}
	if r = stevedore(t, nil, "", verify...); r.code != exitVerify || !strings.Contains(r.stderr, "acme/api:2@") || strings.Contains(r.stderr, "acme/web:1.0@") {
		t.Errorf("verify: exit %d: %s", r.code, r.stderr)
	}
	allowed := append(verify[:len(verify)-1:len(verify)-1], "--allow", reg+"/acme/api", deploy)
	if r = stevedore(t, nil, "", allowed...); r.code != 0 {
		t.Errorf("verify with api allowed: exit %d: %s", r.code, r.stderr)
	}

	if r = stevedore(t, nil, "", "pin", "--policy", "kyverno", "--key", pubFile, "--image", reg+"/acme/*"); r.code != 0 || !strings.Contains(r.stdout, "kind: ClusterPolicy") || !strings.Contains(r.stdout, "BEGIN PUBLIC KEY") {
		t.Errorf("policy: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = stevedore(t, nil, "", "pin", "--policy", "opa", "--key", pubFile); r.code != exitUsage {
		t.Errorf("unknown policy: exit %d", r.code)
	}
}

func TestPinFromLedger(t *testing.T) {
	dir := t.TempDir()
	digest := "sha256:" + strings.Repeat("b", 64)
	ledger := `{"version":"1.0.0","images":[{"name":"app","destinations":[{"ref":"ghcr.io/acme/app@` + digest + `","tags":["1.0.0","latest"]}]}]}`
	lf := filepath.Join(dir, "release.json")
	compose := filepath.Join(dir, "compose.yaml")
	for f, c := range map[string]string{lf: ledger, compose: "services:\n  app:\n    image: ghcr.io/acme/app:1.0.0\n"} {
		if err := os.WriteFile(f, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := stevedore(t, nil, "", "pin", "--write", "--from", lf, compose)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	got, _ := os.ReadFile(compose)
	if want := "services:\n  app:\n    image: ghcr.io/acme/app:1.0.0@" + digest + "\n"; string(got) != want {
		t.Errorf("compose.yaml = %q", got)
	}

	// The next release: the README's one-liner moves the file pinned to the
	// previous release, and --json says what changed with lowercase keys.
	next := "sha256:" + strings.Repeat("c", 64)
	ledger2 := `{"version":"1.1.0","images":[{"name":"app","destinations":[{"ref":"ghcr.io/acme/app@` + next + `","tags":["1.1.0","latest"]}]}]}`
	if err := os.WriteFile(lf, []byte(ledger2), 0o644); err != nil {
		t.Fatal(err)
	}
	r = stevedore(t, nil, "", "pin", "--write", "--json", "--from", lf, compose)
	if r.code != 0 {
		t.Fatalf("re-pin: exit %d: %s", r.code, r.stderr)
	}
	got, _ = os.ReadFile(compose)
	if want := "services:\n  app:\n    image: ghcr.io/acme/app:1.1.0@" + next + "\n"; string(got) != want {
		t.Errorf("re-pinned compose.yaml = %q", got)
	}
	var out struct {
		Changes []struct {
			File   string `json:"file"`
			Line   int    `json:"line"`
			New    string `json:"new"`
			Digest string `json:"digest"`
		} `json:"changes"`
		Findings []json.RawMessage `json:"findings"`
		Files    []string          `json:"files"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("--json: %v\n%s", err, r.stdout)
	}
	if len(out.Changes) != 1 || out.Changes[0].File != compose || out.Changes[0].Line != 3 || out.Changes[0].Digest != next ||
		out.Changes[0].New != "ghcr.io/acme/app:1.1.0@"+next || out.Findings == nil || len(out.Files) != 1 {
		t.Errorf("--json = %s", r.stdout)
	}

	// --update --write (what pin --check --strict suggests in older docs) is --update.
	r = stevedore(t, nil, "", "pin", "--update", "--write", "--from", lf, compose)
	if r.code != 0 || !strings.Contains(r.stderr, "nothing to change") {
		t.Errorf("--update --write: exit %d: %s", r.code, r.stderr)
	}
	r = stevedore(t, nil, "", "pin", "--check", "--write", compose)
	if r.code != exitUsage {
		t.Errorf("--check --write: exit %d, want %d: %s", r.code, exitUsage, r.stderr)
	}
}
