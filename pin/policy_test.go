package pin

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

const testKey = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEexample\n-----END PUBLIC KEY-----\n"

func TestPolicyGolden(t *testing.T) {
	cases := map[string]PolicyOptions{
		"kyverno-key":      {Images: []string{"ghcr.io/acme/*"}, PublicKey: []byte(testKey), Attestations: []string{"https://spdx.dev/Document"}},
		"kyverno-keyless":  {Images: []string{"ghcr.io/acme/*"}, IdentityRegexp: "^https://github.com/acme/app/", Issuer: "https://token.actions.githubusercontent.com"},
		"sigstore-key":     {Images: []string{"ghcr.io/acme/**"}, PublicKey: []byte(testKey)},
		"sigstore-keyless": {Images: []string{"ghcr.io/acme/**"}, Identity: "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main", Issuer: "https://token.actions.githubusercontent.com", Attestations: []string{"https://spdx.dev/Document"}},
	}
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			kind := PolicyKyverno
			if name[:8] == "sigstore" {
				kind = PolicySigstore
			}
			got, err := Policy(kind, o)
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := yaml.Unmarshal(got, &doc); err != nil {
				t.Fatalf("policy is not valid YAML: %v\n%s", err, got)
			}
			golden := filepath.Join("testdata", "golden", "policy-"+name+".yaml")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("policy differs from %s (run with -update after checking):\n%s", golden, got)
			}
		})
	}
}

func TestPolicyErrors(t *testing.T) {
	for _, o := range []PolicyOptions{
		{},
		{PublicKey: []byte(testKey), Identity: "x", Issuer: "y"},
		{Identity: "x"},
	} {
		if _, err := Policy(PolicyKyverno, o); !errors.Is(err, ErrPolicy) {
			t.Errorf("%+v: err = %v, want ErrPolicy", o, err)
		}
	}
	if _, err := Policy("opa", PolicyOptions{PublicKey: []byte(testKey)}); !errors.Is(err, ErrPolicy) {
		t.Errorf("unknown kind: err = %v", err)
	}
}
