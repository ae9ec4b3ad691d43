package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/sign"
)

func TestSigningPolicy(t *testing.T) {
	gh := sign.TokenSource{GitHubRequestURL: "http://127.0.0.1:1/token", GitHubRequestToken: "t"}
	const wf = "https://github.com/o/r/.github/workflows/release.yml@refs/heads/main"
	tests := []struct {
		name    string
		env     SigningEnv
		in      Signing
		want    Signing
		wantErr string
	}{
		{"local default key", SigningEnv{}, Signing{}, Signing{}, ""},
		{"Actions with id-token: keyless as the workflow", SigningEnv{CI: true, GitHubActions: true, Token: gh, WorkflowIdentity: wf}, Signing{},
			Signing{Keyless: true, Identity: wf, Issuer: GitHubOIDCIssuer}, ""},
		{"Actions without id-token", SigningEnv{CI: true, GitHubActions: true, WorkflowIdentity: wf}, Signing{}, Signing{}, "permissions: id-token: write"},
		{"other CI without key", SigningEnv{CI: true}, Signing{}, Signing{}, "--sign none"},
		{"explicit local key in Actions", SigningEnv{CI: true, GitHubActions: true, Token: gh}, Signing{Local: true}, Signing{}, "thrown away"},
		{"a key in CI", SigningEnv{CI: true}, Signing{Key: "k.key"}, Signing{Key: "k.key"}, ""},
		{"none in CI", SigningEnv{CI: true}, Signing{Disabled: true}, Signing{Disabled: true}, ""},
		{"keyless with SIGSTORE_ID_TOKEN", SigningEnv{CI: true, Token: sign.TokenSource{IDToken: "tok"}},
			Signing{Keyless: true, Identity: "me", Issuer: "https://issuer"}, Signing{Keyless: true, Identity: "me", Issuer: "https://issuer"}, ""},
		{"keyless without identity outside Actions: the certificate's", SigningEnv{CI: true, Token: sign.TokenSource{IDToken: "tok"}}, Signing{Keyless: true}, Signing{Keyless: true}, ""},
		{"keyless without token", SigningEnv{}, Signing{Keyless: true, Identity: "me", Issuer: "i"}, Signing{}, "SIGSTORE_ID_TOKEN"},
		{"configured identity wins in Actions", SigningEnv{GitHubActions: true, Token: gh, WorkflowIdentity: wf}, Signing{Keyless: true, IdentityRegexp: "^https://github.com/o/"},
			Signing{Keyless: true, IdentityRegexp: "^https://github.com/o/", Issuer: GitHubOIDCIssuer}, ""},
		{"key and keyless", SigningEnv{}, Signing{Key: "k", Keyless: true}, Signing{}, "exclude each other"},
		{"a signing config: keyless bundles, the identity read from the certificate", SigningEnv{CI: true, Token: sign.TokenSource{IDToken: "tok"}},
			Signing{SigningConfig: "sc.json"}, Signing{SigningConfig: "sc.json", Keyless: true, Format: FormatBundle}, ""},
		{"a signing config keeps an explicit format", SigningEnv{Token: sign.TokenSource{IDToken: "tok"}},
			Signing{SigningConfig: "sc.json", Format: FormatBoth}, Signing{SigningConfig: "sc.json", Keyless: true, Format: FormatBoth}, ""},
		{"a signing config and a key", SigningEnv{}, Signing{Key: "k", SigningConfig: "sc.json"}, Signing{}, "applies to keyless"},
		{"keyless bundles without a signing config", SigningEnv{Token: sign.TokenSource{IDToken: "tok"}}, Signing{Keyless: true, Identity: "me", Issuer: "i", Format: FormatBundle}, Signing{}, "--signing-config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.env.resolve(tt.in)
			if tt.wantErr != "" {
				var se *sign.SetupError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &se) {
					t.Fatalf("err = %v, want a SetupError naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// The plan step reads and decrypts the key before anything is built, and
// creates the local default key only outside a dry run.
func TestPlanChecksSigningMaterial(t *testing.T) {
	dir := repo(t)
	cfg := config(t, "oci:dist/IMAGE")
	rep, err := Release(context.Background(), cfg, WithDir(dir), WithDryRun(true), WithSigningEnv(SigningEnv{Password: []byte("pw")}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, DefaultKeyDir)); err == nil {
		t.Errorf("a dry run created the default key")
	}
	if !strings.Contains(rep.Plan.Images[0].Signing, "created if missing") {
		t.Errorf("plan signing = %q", rep.Plan.Images[0].Signing)
	}
	priv, _, err := sign.GenerateKeys([]byte("right"))
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(t.TempDir(), "cosign.key")
	if err := os.WriteFile(key, priv, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.Sign = Signing{Key: key}
	_, err = Release(context.Background(), cfg, WithDir(dir), WithSigningEnv(SigningEnv{Password: []byte("wrong")}))
	var se *StepError
	if !errors.As(err, &se) || se.Step != StepPlan || !strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), "COSIGN_PASSWORD") {
		t.Errorf("wrong password: %v, want a plan-step error naming %s and COSIGN_PASSWORD", err, key)
	}
	if _, err := os.Stat(filepath.Join(dir, "dist")); err == nil {
		t.Errorf("dist/ was written after a plan-step failure")
	}
}
