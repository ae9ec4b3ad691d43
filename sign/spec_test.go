package sign

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

func TestSignerSpecCheck(t *testing.T) {
	a, _ := keys(t)
	dir := t.TempDir()
	key := filepath.Join(dir, "cosign.key")
	if err := os.WriteFile(key, a.priv, 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"PEM": string(a.priv)}
	lookup := func(k string) string { return env[k] }
	tests := []struct {
		name string
		spec SignerSpec
		want []string // in the error; none: it loads
	}{
		{"key file", SignerSpec{Key: key, Password: a.password}, nil},
		{"env key", SignerSpec{Key: "env://PEM", Password: a.password, Lookup: lookup}, nil},
		{"missing file", SignerSpec{Key: filepath.Join(dir, "nope.key"), KeyFlag: "--key"}, []string{"nope.key", "--key", "stevedore keygen"}},
		{"a directory", SignerSpec{Key: dir, KeyFlag: "--key"}, []string{dir, "--key"}},
		{"wrong password", SignerSpec{Key: key, Password: []byte("wrong"), PasswordVar: "COSIGN_PASSWORD"}, []string{key, "COSIGN_PASSWORD"}},
		{"not a key", SignerSpec{Key: "env://PEM", Lookup: func(string) string { return "hello" }}, []string{"env://PEM", "COSIGN_PASSWORD"}},
		{"empty env", SignerSpec{Key: "env://UNSET", Lookup: lookup}, []string{"UNSET", "--key"}},
		{"no key", SignerSpec{}, []string{"--key", "stevedore keygen"}},
		{"keyless without a token", SignerSpec{Keyless: true}, []string{"id-token: write", "SIGSTORE_ID_TOKEN"}},
		{"key and keyless", SignerSpec{Keyless: true, Key: key}, []string{"exclude"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.spec.Check()
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				s, err := tt.spec.New(t.Context())
				if err != nil || s.Keyless() {
					t.Fatalf("New: %v", err)
				}
				return
			}
			var se *SetupError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a SetupError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v: lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), string(a.password)) {
				t.Errorf("the password is in the error")
			}
			if _, err := tt.spec.New(t.Context()); !errors.As(err, &se) {
				t.Errorf("New: %v, want the same SetupError", err)
			}
		})
	}
	// A token handed in (SIGSTORE_ID_TOKEN) is enough for keyless.
	if err := (SignerSpec{Keyless: true, Token: TokenSource{IDToken: "t"}}).Check(); err != nil {
		t.Errorf("keyless with a token: %v", err)
	}
}

// Signing the same digest again in the bundle format with the same key
// adds nothing; another key adds its own.
func TestSignBundleTwice(t *testing.T) {
	a, b := keys(t)
	ctx := t.Context()
	d := pushImage(t, registrytest.InProcess(t), "team/app", registrytest.Image(t, 1, 64))
	for i, want := range []bool{true, false} {
		made, err := SignBundle(ctx, d, a.signer(t))
		if err != nil || made != want {
			t.Fatalf("sign %d: made %v, %v; want %v", i, made, err, want)
		}
	}
	if made, err := SignBundle(ctx, d, b.signer(t)); err != nil || !made {
		t.Fatalf("other key: made %v, %v", made, err)
	}
	got, err := Verify(ctx, d, WithKey(a.verifier(t)))
	if err != nil || len(got.Signatures) != 1 {
		t.Fatalf("verify: %+v, %v; want one signature by key a", got, err)
	}
}
