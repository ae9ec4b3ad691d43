package main

import (
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/internal/faultproxy"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// A wrong password at login is said as such, naming the registry and the
// user, with the exit code of refused credentials; nothing is stored and
// neither the password nor a raw 401 body is shown.
func TestLoginWrongPasswordSaysSo(t *testing.T) {
	reg := registrytest.StartDistribution(t)
	px := faultproxy.New(t, "https://"+reg.Host, reg.Transport)
	cfg := t.TempDir()
	env := map[string]string{"DOCKER_CONFIG": cfg}
	r := stevedore(t, env, "not-the-password-42\n", "login", px.Host, "-u", reg.Username, "--password-stdin")
	if r.code != exitDenied {
		t.Errorf("exit %d, want %d: %s", r.code, exitDenied, r.stderr)
	}
	for _, want := range []string{px.Host, "refused the username or password", reg.Username} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
		}
	}
	for _, bad := range []string{"not-the-password-42", "log in first", "UNAUTHORIZED", "map["} {
		if strings.Contains(r.stderr, bad) {
			t.Errorf("stderr shows %q:\n%s", bad, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(cfg, "config.json")); err == nil {
		t.Error("a refused login wrote config.json")
	}

	// The right password logs in.
	r = stevedore(t, env, reg.Password+"\n", "login", px.Host, "-u", reg.Username, "--password-stdin")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
}

// A release whose destination refuses the stored password stops in the
// plan step: exit 2, naming the registry and the login that fixes it, with
// nothing built or pushed.
func TestReleaseWithWrongPasswordStopsBeforeBuilding(t *testing.T) {
	reg := registrytest.StartDistribution(t)
	px := faultproxy.New(t, "https://"+reg.Host, reg.Transport)
	cfg := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(reg.Username + ":not-the-password-42"))
	if err := os.WriteFile(filepath.Join(cfg, "config.json"), []byte(`{"auths":{"`+px.Host+`":{"auth":"`+auth+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := flagProject(t)
	cache := t.TempDir()
	env := map[string]string{"DOCKER_CONFIG": cfg, "XDG_CACHE_HOME": cache, "COSIGN_PASSWORD": "pw"}
	r := stevedore(t, env, "", "release", "--dir", dir, "--context", "app", "--file", "app/Containerfile",
		"--destination", px.Host+"/acme/app", "--ledger", filepath.Join(t.TempDir(), "release.json"))
	if r.code != exitUsage {
		t.Errorf("exit %d, want %d: %s", r.code, exitUsage, r.stderr)
	}
	for _, want := range []string{px.Host, "stevedore login " + px.Host, "nothing was built"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "not-the-password-42") {
		t.Errorf("stderr shows the password:\n%s", r.stderr)
	}
	if n := px.Count(http.MethodPatch, "") + px.Count(http.MethodPut, ""); n != 0 {
		t.Errorf("%d uploads reached the registry", n)
	}
	if _, err := os.Stat(filepath.Join(cache, "stevedore", "blobs")); err == nil {
		t.Error("the build ran: the cache has a blob store")
	}
}
