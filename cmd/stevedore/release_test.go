package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The README's quickstart: a directory with a Dockerfile, no configuration,
// no registry, no git.
func TestReleaseEmbeddedDefault(t *testing.T) {
	dir := t.TempDir()
	for n, c := range map[string]string{"Dockerfile": "FROM scratch\nCOPY hello.txt /\n", "hello.txt": "hi\n"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"XDG_CACHE_HOME": t.TempDir(), "COSIGN_PASSWORD": "correct horse battery"}
	r := stevedore(t, env, "", "release", "--dir", dir)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, "correct horse battery") {
		t.Error("the key password appears in the output")
	}
	if !strings.Contains(r.stderr, "created a signing key") {
		t.Errorf("the user is not told about the new key:\n%s", r.stderr)
	}
	for _, f := range []string{".stevedore/cosign.key", ".stevedore/cosign.pub", "dist/image/index.json", "dist/release.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, ".stevedore/cosign.key")); err == nil && fi.Mode().Perm() != 0o600 {
		t.Errorf("private key mode %v", fi.Mode().Perm())
	}
	if !strings.Contains(r.stdout, "IMAGE") || !strings.Contains(r.stdout, "yes") {
		t.Errorf("summary table:\n%s", r.stdout)
	}
	var ledger struct {
		Images []struct {
			Digest string
			Verify []string
		}
	}
	data, _ := os.ReadFile(filepath.Join(dir, "dist/release.json"))
	if err := json.Unmarshal(data, &ledger); err != nil || len(ledger.Images) != 1 || ledger.Images[0].Digest == "" {
		t.Errorf("ledger: %v\n%s", err, data)
	}
	// The layout's verify command names the embedded key's public half.
	if len(ledger.Images) == 1 && (len(ledger.Images[0].Verify) == 0 || !strings.Contains(ledger.Images[0].Verify[0], "--key "+filepath.Join(dir, ".stevedore/cosign.pub"))) {
		t.Errorf("verify commands: %q", ledger.Images[0].Verify)
	}
	// And it runs as printed.
	if len(ledger.Images) == 1 && len(ledger.Images[0].Verify) > 0 {
		args := strings.Fields(ledger.Images[0].Verify[0])
		if v := stevedore(t, env, "", args[1:]...); v.code != 0 {
			t.Errorf("%s: exit %d: %s", ledger.Images[0].Verify[0], v.code, v.stderr)
		}
	}

	// Again: the existing key is used, nothing new is created.
	again := stevedore(t, env, "", "release", "--dir", dir)
	if again.code != 0 || strings.Contains(again.stderr, "created a signing key") {
		t.Errorf("second release: exit %d\n%s", again.code, again.stderr)
	}
}

func TestReleaseInActionsWritesOutputs(t *testing.T) {
	dir := t.TempDir()
	// CMD's shell form: a JSONArgsRecommended warning for the annotations.
	for n, c := range map[string]string{"Dockerfile": "FROM scratch\nCOPY hello.txt /\nCMD run\n", "hello.txt": "hi\n",
		"stevedore.yaml": "images:\n  - name: app\n    destinations: [oci:dist/app]\n    platfroms: [linux/amd64]\n"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, sum := filepath.Join(t.TempDir(), "out"), filepath.Join(t.TempDir(), "sum")
	// In CI the release signs with a key it is given (or keyless): it makes none.
	priv, _, _ := testKeys(t)
	env := map[string]string{"XDG_CACHE_HOME": t.TempDir(), "GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": out, "GITHUB_STEP_SUMMARY": sum, "COSIGN_PASSWORD": testPassword}
	bad := stevedore(t, env, "", "release", "--dir", dir)
	if bad.code != exitUsage || !strings.Contains(bad.stdout, "::error file="+filepath.Join(dir, "stevedore.yaml")+",line=4,col=5") || !strings.Contains(bad.stdout, "platfroms") {
		t.Errorf("config error: exit %d\nstdout:\n%s\nstderr:\n%s", bad.code, bad.stdout, bad.stderr)
	}
	if !strings.Contains(bad.stdout, "::add-mask::"+testPassword) {
		t.Errorf("the password is not masked:\n%s", bad.stdout)
	}
	if err := os.WriteFile(filepath.Join(dir, "stevedore.yaml"), []byte("images:\n  - name: app\n    destinations: [oci:dist/app]\nsign:\n  key: "+priv+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := stevedore(t, env, "", "release", "--dir", dir)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	outputs, _ := os.ReadFile(out)
	for _, k := range []string{"version<<", "digest<<", "image-refs<<", "sbom-files<<", "ledger<<", "verify-commands<<"} {
		if !strings.Contains(string(outputs), k) {
			t.Errorf("GITHUB_OUTPUT lacks %s:\n%s", k, outputs)
		}
	}
	checkOutputsDeclared(t, readOutputs(t, out))
	summary, _ := os.ReadFile(sum)
	if !strings.Contains(string(summary), "| app |") {
		t.Errorf("step summary:\n%s", summary)
	}
	if !strings.Contains(r.stdout, "::group::build app") {
		t.Errorf("log is not grouped:\n%s", r.stdout)
	}
	if want := "::warning file=" + filepath.Join(dir, "Dockerfile") + ",line=3,title=JSONArgsRecommended::JSON arguments recommended for CMD"; !strings.Contains(r.stdout, want) {
		t.Errorf("the build checks are not annotated (%s):\n%s", want, r.stdout)
	}
}

// Creating the embedded default key without a password says so.
func TestReleaseWarnsAboutAnUnencryptedDefaultKey(t *testing.T) {
	dir := t.TempDir()
	for n, c := range map[string]string{"Dockerfile": "FROM scratch\nCOPY hello.txt /\n", "hello.txt": "hi\n"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := stevedore(t, map[string]string{"XDG_CACHE_HOME": t.TempDir(), "COSIGN_PASSWORD": ""}, "", "release", "--dir", dir)
	if r.code != 0 || !strings.Contains(r.stderr, "COSIGN_PASSWORD is empty") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// checkOutputsDeclared: a composite action's step outputs reach the
// workflow only through the outputs action.yml declares, so an output the
// release sets but action.yml lacks is silently empty for users (act shows
// it anyway, so the act tests cannot catch this).
func checkOutputsDeclared(t *testing.T, set map[string]string) {
	t.Helper()
	var action struct {
		Outputs map[string]struct {
			Value string `yaml:"value"`
		} `yaml:"outputs"`
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &action); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	for name := range set {
		want := "${{ steps.release.outputs." + name + " }}"
		if got := action.Outputs[name].Value; got != want {
			t.Errorf("the release sets output %s, but action.yml declares it as %q; want value: %s", name, got, want)
		}
	}
}
