package pipeline

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

// destinations: read metadata-action's images form: enable=false entries
// are dropped, errors at the entry's line.
func TestDestinationsAsMetadataActionImages(t *testing.T) {
	c, err := Parse([]byte(`images:
  - name: app
    destinations:
      - name=ghcr.io/acme/app,enable=true
      - name=docker.io/acme/app,enable=${PUSH_HUB}
      - oci:dist/App
`), "stevedore.yaml", env(map[string]string{"PUSH_HUB": "false"}))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Images[0].Destinations, []string{"ghcr.io/acme/app", "oci:dist/App"}; !slices.Equal(got, want) {
		t.Errorf("destinations = %q, want %q", got, want)
	}
	for _, tt := range []struct{ yaml, want string }{
		{"images:\n  - name: app\n    destinations:\n      - ghcr.io/a/b\n      - name=x/y,enable=yes\n",
			`stevedore.yaml:5: images[0].destinations[1]: "name=x/y,enable=yes": enable=yes: want enable=true or enable=false`},
		{"images:\n  - name: app\n    destinations: [ghcr.io/a/b, \"name=x/y,push=true\"]\n",
			`stevedore.yaml:3: images[0].destinations[1]: "name=x/y,push=true": unknown image attribute "push"`},
	} {
		_, err := Parse([]byte(tt.yaml), "stevedore.yaml", env(nil))
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("err = %v\nwant %q", err, tt.want)
		}
	}
}

func TestSecretsAndCachesKeys(t *testing.T) {
	c, err := Parse([]byte(`secrets:
  - id=npm,env=NPM_TOKEN
  - id=shared,src=top.txt
cache-from: ["type=local,src=.cache/build"]
images:
  - name: app
    secrets:
      - id=shared,src=app.txt
      - id=aws,type=file,source=/home/ci/.aws/credentials
    cache-from:
      - ghcr.io/acme/app:buildcache
    cache-to: type=local,dest=.cache/build
`), "stevedore.yaml", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := []Secret{{ID: "npm", Env: "NPM_TOKEN"}, {ID: "shared", Src: "app.txt"}, {ID: "aws", Src: "/home/ci/.aws/credentials"}}
	if got := c.Secrets(0); !slices.Equal(got, want) {
		t.Errorf("secrets = %+v, want %+v (the image's win on the same id)", got, want)
	}
	if c.Images[0].CacheTo != "type=local,dest=.cache/build" || c.CacheFrom[0] != "type=local,src=.cache/build" {
		t.Errorf("caches: %+v %+v", c.CacheFrom, c.Images[0])
	}

	const secret = "hunter2-s3cr3t"
	vars := env(map[string]string{"TOKEN": secret})
	for _, tt := range []struct{ name, yaml, want string }{
		{"inline value", "secrets:\n  - id=npm,env=NPM\n  - id=tok," + secret + "\nimages: [{name: a}]\n",
			"stevedore.yaml:3:5: secrets[1]: a secret's value never goes in the configuration: write id=ID,env=VAR"},
		{"bare value", "images:\n  - name: a\n    secrets: [" + secret + "]\n",
			"stevedore.yaml:3:15: images[0].secrets[0]: a secret's value never goes in the configuration"},
		{"value attribute", "images:\n  - name: a\n    secrets:\n      - id=tok,value=" + secret + "\n",
			`stevedore.yaml:4:9: images[0].secrets[0]: unknown secret attribute "value": a secret's value never goes in the configuration`},
		{"expansion", "secrets: [\"id=tok,src=${TOKEN}\"]\nimages: [{name: a}]\n",
			"stevedore.yaml:1:11: secrets[0]: ${…} would copy the value into the configuration; name the variable instead: id=ID,env=VAR"},
		{"scalar instead of a list", "secrets: " + secret + "\nimages: [{name: a}]\n",
			"stevedore.yaml:1:10: secrets must be a list of id=ID,env=VAR or id=ID,src=FILE"},
		{"mapping instead of a list", "secrets:\n  tok: " + secret + "\nimages: [{name: a}]\n",
			"stevedore.yaml:2:3: secrets must be a list"},
		{"no id", "secrets: [env=NPM]\nimages: [{name: a}]\n", "secrets[0]: a secret needs id=ID"},
		{"env and src", "secrets: [\"id=a,env=A,src=f\"]\nimages: [{name: a}]\n", "secret a: give exactly one of env=VAR or src=FILE"},
		{"gha cache attribute", "cache-from: [\"type=gha,scop=web\"]\nimages: [{name: a}]\n", `stevedore.yaml:1: cache-from[0]: unknown attribute "scop" for type=gha`},
		{"image cache-to with src", "images:\n  - name: a\n    cache-to: type=local,src=d\n", "stevedore.yaml:3: images[0].cache-to: type=local with src="},
		{"image cache-from layout", "images:\n  - name: a\n    cache-from:\n      - oci:dist/a\n", "stevedore.yaml:4: images[0].cache-from[0]: oci:dist/a is an image layout, not a cache: write type=local,src=DIR"},
		{"top-level cache-to with two images", "cache-to: r.example/c:1\nimages: [{name: a}, {name: b}]\n", "stevedore.yaml:1: cache-to at the top level: each of the 2 images would overwrite the one cache"},
		{"unknown cache attribute", "images:\n  - name: a\n    cache-to: \"type=registry,ref=r.example/c:1,mod=max\"\n", `images[0].cache-to: unknown attribute "mod" for type=registry`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), "stevedore.yaml", vars)
			var ce *ConfigError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v\nwant %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("the error quotes the secret: %v", err)
			}
		})
	}
}

// The README's stevedore.yaml example is a valid configuration.
func TestReadmeExampleParses(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "\n```yaml\nversion: 1\n")
	block, _, ok2 := strings.Cut(rest, "\n```\n")
	if !ok || !ok2 {
		t.Fatal("no ```yaml block starting with version: 1 in README.md")
	}
	c, err := Parse([]byte("version: 1\n"+block), "README.md", env(map[string]string{"GITHUB_REPOSITORY": "acme/app", "PUSH_HUB": "false"}))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Images[0].Destinations; !slices.Equal(got, []string{"ghcr.io/acme/app", "oci:dist/app"}) {
		t.Errorf("destinations = %q", got)
	}
}

// A type=gha token given as an attribute is in no error.
func TestCacheOptionsErrorHidesToken(t *testing.T) {
	_, err := CacheOptions([]string{"type=gha,token=s3cret-jwt,timeout=soon"}, "")
	if err == nil || !strings.Contains(err.Error(), "timeout=soon") || strings.Contains(err.Error(), "s3cret-jwt") {
		t.Errorf("CacheOptions: %v; want the timeout error without the token", err)
	}
}
