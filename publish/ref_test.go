package publish

import (
	"errors"
	"strings"
	"testing"
)

func TestParseReference(t *testing.T) {
	const dg = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		in, want, tag string
		layout, pin   bool
		path          string
	}{
		{in: "alpine", want: "docker.io/library/alpine"},
		{in: "alpine:3", want: "docker.io/library/alpine:3", tag: "3"},
		{in: "docker.io/library/alpine:3", want: "docker.io/library/alpine:3", tag: "3"},
		{in: "index.docker.io/o/app", want: "docker.io/o/app"},
		{in: "ghcr.io/o/app:v1", want: "ghcr.io/o/app:v1", tag: "v1"},
		{in: "localhost:5000/app", want: "localhost:5000/app"},
		{in: "127.0.0.1:5000/a/b/c:t", want: "127.0.0.1:5000/a/b/c:t", tag: "t"},
		{in: "ghcr.io/o/app@" + dg, want: "ghcr.io/o/app@" + dg, pin: true},
		{in: "ghcr.io/o/app:v1@" + dg, want: "ghcr.io/o/app:v1@" + dg, tag: "v1", pin: true},
		{in: "oci:./dist/app", want: "oci:dist/app", layout: true, path: "dist/app"},
		{in: "oci:/abs/app:v1", want: "oci:/abs/app:v1", layout: true, tag: "v1", path: "/abs/app"},
		{in: "oci:/mnt/c:/out/app:v1", want: "oci:/mnt/c:/out/app:v1", layout: true, tag: "v1", path: "/mnt/c:/out/app"},
		{in: "oci:app@" + dg, want: "oci:app@" + dg, layout: true, pin: true, path: "app"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := ParseReference(tt.in)
			if err != nil {
				t.Fatalf("ParseReference(%q): %v", tt.in, err)
			}
			if got := r.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if r.IsLayout() != tt.layout || r.Tag() != tt.tag || r.Path() != tt.path {
				t.Errorf("layout=%v tag=%q path=%q, want %v %q %q", r.IsLayout(), r.Tag(), r.Path(), tt.layout, tt.tag, tt.path)
			}
			if _, ok := r.Digest(); ok != tt.pin {
				t.Errorf("Digest() pinned = %v, want %v", ok, tt.pin)
			}
			// The canonical form parses to the same thing.
			r2, err := ParseReference(r.String())
			if err != nil || r2.String() != r.String() {
				t.Errorf("round trip: %v %q", err, r2.String())
			}
		})
	}
}

func TestParseReferenceErrors(t *testing.T) {
	tests := []struct{ in, hint string }{
		{"", "empty"},
		{" alpine", "whitespace"},
		{"Owner/App", `try "owner/app"`},
		{"ghcr.io/Owner/App:v1", `try "ghcr.io/owner/app:v1"`},
		{"ghcr.io", "without a repository"},
		{"localhost:5000", "without a repository"},
		{"ghcr.io/", "missing repository"},
		{"alpine@sha256:abc", "64 lowercase hex"},
		{"alpine@md5:0123", "64 lowercase hex"},
		{"alpine:bad tag", ""},
		{"a::b", ""},
		{"oci:", "missing layout path"},
		{"oci:dist:", "tag"},
		{"oci:dist:-x", "tag"},
		{"oci:dist@sha256:12", "64 lowercase hex"},
		{"oci:dist:v1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "not both"},
		{"oci::v1", "missing layout path"},
		{"\x00", ""},
		{"@", ""},
		{":", ""},
		{"/", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseReference(tt.in)
			if !errors.Is(err, ErrBadReference) {
				t.Fatalf("ParseReference(%q) = %v, want ErrBadReference", tt.in, err)
			}
			if !strings.Contains(err.Error(), tt.hint) {
				t.Errorf("error %q lacks hint %q", err, tt.hint)
			}
		})
	}
}

func FuzzParseReference(f *testing.F) {
	for _, s := range []string{"alpine", "oci:a/b:c", "ghcr.io/o/a@sha256:00", "localhost:5000/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReference(s)
		if err == nil {
			_ = r.String()
			_, _ = r.Digest()
		}
	})
}
