package pipeline

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

const example = `# release config
version: 1
tag-prefix: v
tags: |
  type=semver,pattern={{version}}
  type=sha
sbom: [spdx-json]
sign:
  keyless: true
  identity-regexp: ^https://github.com/${GITHUB_REPOSITORY}/.*$
  issuer: https://token.actions.githubusercontent.com
images:
  - name: app
    context: .
    platforms: [linux/amd64, linux/arm64]
    build-args:
      GO_VERSION: "1.26"
    destinations:
      - ghcr.io/${GITHUB_REPOSITORY}
      - oci:dist/app
  - name: worker
    dockerfile: worker.Dockerfile
    destinations: [docker.io/acme/worker]
    sign:
      key: env://COSIGN_KEY
pin: [deploy/*.yaml]
`

func TestParseExample(t *testing.T) {
	c, err := Parse([]byte(example), "stevedore.yaml", env(map[string]string{"GITHUB_REPOSITORY": "acme/app"}))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Images[0].Destinations[0]; got != "ghcr.io/acme/app" {
		t.Errorf("destination = %q", got)
	}
	if got := c.Sign.IdentityRegexp; got != "^https://github.com/acme/app/.*$" {
		t.Errorf("identity-regexp = %q (a trailing $ must survive expansion)", got)
	}
	if c.Images[1].Sign == nil || c.Images[1].Sign.Key != "env://COSIGN_KEY" {
		t.Errorf("worker signing = %+v", c.Images[1].Sign)
	}
	if c.Images[0].BuildArgs["GO_VERSION"] != "1.26" || c.Tags == "" || c.Pin[0] != "deploy/*.yaml" {
		t.Errorf("config = %+v", c)
	}
}

func TestParseErrors(t *testing.T) {
	vars := env(map[string]string{"GITHUB_REPOSITORY": "acme/app"})
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown key with a hint", "images:\n  - name: app\n    platfroms: [linux/amd64]\n", `stevedore.yaml:3:5: unknown key "platfroms" in images[0] (did you mean "platforms"?)`},
		{"unknown top-level key", "imgs: []\n", `stevedore.yaml:1:1: unknown key "imgs" at the top level`},
		{"wrong type", "images:\n  - name: app\n    platforms: linux/amd64\n", `stevedore.yaml:3:16: images[0].platforms must be a list (e.g. [a, b]), not "linux/amd64"`},
		{"wrong scalar type", "sign:\n  keyless: maybe\nimages: [{name: a}]\n", `stevedore.yaml:2:12: sign.keyless must be true or false, not "maybe"`},
		{"unknown signature format", "sign:\n  format: cms\nimages: [{name: a}]\n", `stevedore.yaml:2: sign.format "cms": want legacy, bundle or both`},
		{"unknown image signature format", "images:\n  - name: a\n    sign: {format: v3}\n", `stevedore.yaml:3: images[0].sign.format "v3": want legacy, bundle or both`},
		{"signing config next to a key", "sign:\n  key: cosign.key\n  signing-config: sc.json\nimages: [{name: a}]\n", `stevedore.yaml:3: sign.signing-config applies to keyless signing, not next to sign.key: remove one of them`},
		{"image signing config with signing off", "images:\n  - name: a\n    sign:\n      disabled: true\n      signing-config: sc.json\n", `stevedore.yaml:5: images[0].sign.signing-config applies to keyless signing, not next to images[0].sign.disabled: remove one of them`},
		{"wrong map type", "images:\n  - name: app\n    build-args: [A=1]\n", `stevedore.yaml:3:17: images[0].build-args must be a mapping of names to values, not a list`},
		{"unset variable", "images:\n  - name: app\n    destinations:\n      - ghcr.io/${OWNER}/app\n", "stevedore.yaml:4:9: ${OWNER} is not set"},
		{"no images", "version: 1\n", "no images"},
		{"duplicate names", "images:\n  - name: app\n  - name: app\n", `stevedore.yaml:3: image name "app" is used twice`},
		{"bad sbom format", "images:\n  - name: app\n    sbom: [spdx]\n", `sbom format "spdx"`},
		{"future version", "version: 2\nimages: [{name: a}]\n", "stevedore.yaml:1: version 2 is not supported"},
		{"malformed yaml", "images:\n  - name: [\n", "stevedore.yaml:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), "stevedore.yaml", vars)
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v\nwant ErrConfig containing %q", err, tt.want)
			}
			// The position travels as values, not only in the message.
			var ce *ConfigError
			positioned := strings.HasPrefix(tt.want, "stevedore.yaml:") && len(tt.want) > len("stevedore.yaml:")
			if !errors.As(err, &ce) || ce.File != "stevedore.yaml" || positioned && !strings.HasPrefix(tt.want, ce.Position()+":") {
				t.Errorf("ConfigError = %+v, want its position to start %q", ce, tt.want)
			}
		})
	}
}

// The JSON Schema shipped for editors must describe exactly the keys the
// loader accepts.
func TestSchemaMatchesConfig(t *testing.T) {
	data, err := os.ReadFile("../stevedore.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatal(err)
	}
	defs := schema["$defs"].(map[string]any)
	check := func(what string, obj map[string]any, typ reflect.Type) {
		var want, got []string
		for i := range typ.NumField() {
			tag, _, _ := strings.Cut(typ.Field(i).Tag.Get("yaml"), ",")
			if tag != "-" { // set by the command line only
				want = append(want, tag)
			}
		}
		for k := range obj["properties"].(map[string]any) {
			got = append(got, k)
		}
		sort.Strings(want)
		sort.Strings(got)
		if strings.Join(want, " ") != strings.Join(got, " ") {
			t.Errorf("%s: schema has %v, loader has %v", what, got, want)
		}
		if obj["additionalProperties"] != false {
			t.Errorf("%s: schema must set additionalProperties: false, as the loader refuses unknown keys", what)
		}
	}
	check("config", schema, reflect.TypeOf(Config{}))
	check("image", defs["image"].(map[string]any), reflect.TypeOf(Image{}))
	check("signing", defs["signing"].(map[string]any), reflect.TypeOf(Signing{}))
}
