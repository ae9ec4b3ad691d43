package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/pipeline"
)

// flagProject is a git repository holding a FROM scratch Dockerfile under
// app/ (so --context and --file matter), with one releasable commit.
func flagProject(t *testing.T) string {
	t.Helper()
	dir := gitRepo(t)
	for n, c := range map[string]string{"app/Containerfile": "FROM scratch\nCOPY hello.txt /\n", "app/hello.txt": "hi\n"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, n)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-q", "-m", "feat: first")
	return dir
}

type releaseLedger struct {
	Version string
	Images  []struct {
		Name         string
		Digest       string
		Destinations []struct {
			Ref  string
			Tags []string
		}
	}
}

func readLedger(t *testing.T, path string) releaseLedger {
	t.Helper()
	var l releaseLedger
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &l); err != nil {
		t.Fatalf("ledger: %v\n%s", err, data)
	}
	return l
}

// The flags describe a whole release with no stevedore.yaml: image name,
// context, Dockerfile, two destinations (registry and layout), tag rules,
// platforms and signing.
func TestReleaseFlagsWithoutConfig(t *testing.T) {
	dir := flagProject(t)
	reg := registrytest.InProcess(t)
	env := map[string]string{"XDG_CACHE_HOME": t.TempDir()}
	r := stevedore(t, env, "", "release", "--dir", dir,
		"--image-name", "web", "--context", "app", "--file", "app/Containerfile",
		"--destination", reg+"/team/web", "--destination", "oci:out/web",
		"--tags", "type=raw,value=edge\ntype=semver,pattern={{version}}",
		"--platform", "linux/amd64,linux/arm64", "--sign", "none")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	l := readLedger(t, filepath.Join(dir, "dist/release.json"))
	if len(l.Images) != 1 || l.Images[0].Name != "web" || len(l.Images[0].Destinations) != 2 {
		t.Fatalf("ledger: %+v", l)
	}
	if _, err := os.Stat(filepath.Join(dir, "out/web/index.json")); err != nil {
		t.Errorf("layout destination: %v", err)
	}
	for _, tag := range []string{"edge", l.Version} {
		ref, _ := name.ParseReference(reg + "/team/web:" + tag)
		idx, err := remote.Index(ref)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		d, _ := idx.Digest()
		if d.String() != l.Images[0].Digest {
			t.Errorf("%s is %s, ledger says %s", ref, d, l.Images[0].Digest)
		}
		m, _ := idx.IndexManifest()
		if len(m.Manifests) != 2 {
			t.Errorf("index has %d manifests, want 2 platforms", len(m.Manifests))
		}
	}
	if !strings.Contains(r.stdout, "web") {
		t.Errorf("summary:\n%s", r.stdout)
	}
}

// --push=false keeps registry destinations out (pull requests from forks
// have no credentials) and still builds, into the layout.
func TestReleaseFlagsNoPush(t *testing.T) {
	dir := flagProject(t)
	reg := registrytest.InProcess(t)
	env := map[string]string{"XDG_CACHE_HOME": t.TempDir()}
	r := stevedore(t, env, "", "release", "--dir", dir, "--snapshot", "--context", "app", "--file", "app/Containerfile",
		"--destination", reg+"/team/web", "--push=false", "--sign", "none")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "not pushing to "+reg+"/team/web") || !strings.Contains(r.stderr, "oci:dist/image instead") {
		t.Errorf("stderr does not say what was skipped:\n%s", r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "dist/image/index.json")); err != nil {
		t.Errorf("default layout: %v", err)
	}
	resp, err := http.Get("http://" + reg + "/v2/_catalog")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(body), "team/web") {
		t.Errorf("pushed despite --push=false: %s", body)
	}
}

func TestReleaseFlagsRefused(t *testing.T) {
	withConfig := flagProject(t)
	if err := os.WriteFile(filepath.Join(withConfig, "stevedore.yaml"), []byte("images:\n  - name: app\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	plain := flagProject(t)
	cfgFile := filepath.Join(t.TempDir(), "other.yaml")
	if err := os.WriteFile(cfgFile, []byte("images:\n  - name: app\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"flag next to stevedore.yaml", []string{"--dir", withConfig, "--image-name", "x", "--push=false"}, []string{"--image-name conflicts", "stevedore.yaml"}},
		{"flag next to --config", []string{"--dir", plain, "--config", cfgFile, "--destination", "oci:x"}, []string{"--destination conflicts", cfgFile}},
		{"unknown sign mode", []string{"--dir", plain, "--sign", "maybe"}, []string{`--sign "maybe"`}},
		{"key without key signing", []string{"--dir", plain, "--sign", "none", "--key", "k.key"}, []string{"--key applies to --sign key"}},
		{"identity without keyless", []string{"--dir", plain, "--certificate-identity", "me"}, []string{"--sign keyless only"}},
		{"keyless outside Actions without a token", []string{"--dir", plain, "--sign", "keyless"}, []string{"no OIDC identity token", "SIGSTORE_ID_TOKEN", "GitHub Actions"}},
		{"bad platform", []string{"--dir", plain, "--platform", "linux"}, []string{`"linux"`}},
		{"bad destination", []string{"--dir", plain, "--destination", "ghcr.io"}, []string{"--destination", "without a repository"}},
		{"bad image name", []string{"--dir", plain, "--image-name", "a/b"}, []string{`--image-name "a/b"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := stevedore(t, map[string]string{"XDG_CACHE_HOME": t.TempDir()}, "", append([]string{"release", "--dry-run"}, tt.args...)...)
			if r.code != exitUsage {
				t.Errorf("exit %d, want %d; stderr: %s", r.code, exitUsage, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
		})
	}
}

func TestFlagSigning(t *testing.T) {
	s, err := flagSigning("keyless", "", "https://example.com/me", "https://issuer.example")
	if err != nil || !s.Keyless || s.Identity != "https://example.com/me" || s.Issuer != "https://issuer.example" {
		t.Errorf("explicit identity: %+v, %v", s, err)
	}
	if s, err := flagSigning("key", "env://KEY", "", ""); err != nil || s.Key != "env://KEY" || s.Keyless || s.Disabled || s.Local {
		t.Errorf("key: %+v, %v", s, err)
	}
	// --sign key without --key is the local key, chosen explicitly: the
	// policy never turns it into keyless.
	if s, err := flagSigning("key", "", "", ""); err != nil || !s.Local {
		t.Errorf("--sign key alone: %+v, %v", s, err)
	}
	if s, err := flagSigning("", "", "", ""); err != nil || s != (pipeline.Signing{}) {
		t.Errorf("no --sign: %+v, %v (the policy decides)", s, err)
	}
	if s, err := flagSigning("none", "", "", ""); err != nil || !s.Disabled {
		t.Errorf("none: %+v, %v", s, err)
	}
}

// --push, --sign and --key are run-time switches: next to a stevedore.yaml
// they override it instead of being refused.
func TestReleaseSwitchesOverrideConfig(t *testing.T) {
	dir := flagProject(t)
	yaml := "images:\n  - name: app\n    destinations: [ghcr.io/acme/app, oci:dist/app]\n    sign: {key: cosign.key}\n"
	if err := os.WriteFile(filepath.Join(dir, "stevedore.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	// Committed: in the build context, an uncommitted file makes the release dirty.
	git(t, dir, "add", "stevedore.yaml")
	git(t, dir, "commit", "-q", "-m", "chore: configure")
	r := stevedore(t, map[string]string{"XDG_CACHE_HOME": t.TempDir()}, "", "release", "--dry-run", "--dir", dir, "--push=false", "--sign", "none")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	out := r.stdout + r.stderr
	if strings.Contains(r.stdout, "destination   ghcr.io/acme/app") || !strings.Contains(r.stdout, "oci:dist/app") {
		t.Errorf("--push=false must drop the registry destination and keep the layout:\n%s", out)
	}
	if !strings.Contains(r.stderr, "not pushing to ghcr.io/acme/app") {
		t.Errorf("--push=false must say what it skips:\n%s", r.stderr)
	}
	if strings.Contains(r.stdout, "cosign.key") {
		t.Errorf("--sign none must override the image's key signing:\n%s", out)
	}
}
