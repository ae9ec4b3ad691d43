package publish

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

func TestLogin(t *testing.T) {
	ctx := testCtx(t)
	d := registrytest.StartDistribution(t)
	dir := t.TempDir()

	const wrong = "wrong-password-4c1d"
	err := Login(ctx, d.Host, d.Username, wrong, dir, WithTransport(d.Transport))
	if !errors.Is(err, ErrDenied) {
		t.Fatalf("wrong password: %v, want ErrDenied", err)
	}
	if strings.Contains(err.Error(), wrong) {
		t.Errorf("error leaks the password: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err == nil {
		t.Errorf("a failed login wrote config.json")
	}

	if err := Login(ctx, d.Host, d.Username, d.Password, dir, WithTransport(d.Transport)); err != nil {
		t.Fatalf("Login: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), d.Password) {
		t.Errorf("config.json holds the plaintext password: %s", raw)
	}
	if !strings.Contains(string(raw), base64.StdEncoding.EncodeToString([]byte(d.Username+":"+d.Password))) {
		t.Errorf("config.json lacks docker's auth field: %s", raw)
	}

	// The keychain reads it back, and pushing with it works.
	kc := Keychain(dir, nil)
	reg, _ := name.NewRegistry(d.Host)
	auth, err := kc.Resolve(reg)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := auth.Authorization()
	if err != nil || cfg.Username != d.Username || cfg.Password != d.Password {
		t.Errorf("keychain resolved %q", cfg.Username)
	}
	src, _ := layoutWith(t, "v1", registrytest.Image(t, 1, 128))
	if _, err := Publish(ctx, src, []Reference{mustRef(t, d.Host+"/app:v1")}, nil, WithTransport(d.Transport), WithKeychain(kc)); err != nil {
		t.Errorf("Publish with the stored login: %v", err)
	}
}

func TestKeychainPrecedence(t *testing.T) {
	dir := t.TempDir()
	cfg := `{"auths":{"ghcr.io":{"auth":"` + base64.StdEncoding.EncodeToString([]byte("file:filepass")) + `"},` +
		`"https://index.docker.io/v1/":{"auth":"` + base64.StdEncoding.EncodeToString([]byte("hub:hubpass")) + `"}}}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	kc := Keychain(dir, map[string]authn.AuthConfig{"ghcr.io": {Username: "actor", Password: "token"}})
	tests := []struct{ reg, user string }{
		{"ghcr.io", "actor"},
		{"index.docker.io", "hub"},
		{"quay.io", ""},
	}
	for _, tt := range tests {
		reg, _ := name.NewRegistry(tt.reg)
		a, err := kc.Resolve(reg)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := a.Authorization()
		if c.Username != tt.user {
			t.Errorf("%s: user %q, want %q", tt.reg, c.Username, tt.user)
		}
	}
}
