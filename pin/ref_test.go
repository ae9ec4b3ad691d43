package pin

import (
	"testing"
)

func TestRewritten(t *testing.T) {
	d := digestOf('f')
	for _, tc := range []struct{ text, want string }{
		{"nginx:1.27", "nginx:1.27@" + d.String()},
		{"nginx", "nginx:latest@" + d.String()},
		{"localhost:5000/app", "localhost:5000/app:latest@" + d.String()},
		{"ghcr.io/a/b:1@" + digestOf('0').String(), "ghcr.io/a/b:1@" + d.String()},
	} {
		_, tag, _, err := parseRef(tc.text)
		if err != nil {
			t.Fatal(err)
		}
		if got := rewritten(tc.text, tag, d); got != tc.want {
			t.Errorf("rewritten(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestTagRef(t *testing.T) {
	for _, tc := range []struct {
		text, want string
		ok         bool
	}{
		{"nginx", "index.docker.io/library/nginx:latest", true},
		{"ghcr.io/a/b:1@" + digestOf('0').String(), "ghcr.io/a/b:1", true},
		{"ghcr.io/a/b@" + digestOf('0').String(), "", false},
	} {
		r, tag, d, err := parseRef(tc.text)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := Ref{Ref: r, Tag: tag, Digest: d}.TagRef()
		if ok != tc.ok || (ok && got.Name() != tc.want) {
			t.Errorf("TagRef(%q) = %v, %v", tc.text, got, ok)
		}
	}
}
