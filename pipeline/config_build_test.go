package pipeline

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// destinations: read metadata-action's images form: enable=false entries
// are dropped, names lower-cased, errors at the entry's line.
func TestDestinationsAsMetadataActionImages(t *testing.T) {
	c, err := Parse([]byte(`images:
  - name: app
    destinations:
      - name=ghcr.io/Acme/App,enable=true
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
