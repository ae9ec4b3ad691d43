package layer

import (
	"errors"
	"slices"
	"testing"
)

func TestComparePaths(t *testing.T) {
	got := []string{"a-b", "a/b", "a", "a/b/c", "a.b", "b", "a/.wh.x", "ü", "Z"}
	slices.SortFunc(got, comparePaths)
	want := []string{"Z", "a", "a/.wh.x", "a/b", "a/b/c", "a-b", "a.b", "b", "ü"}
	if !slices.Equal(got, want) {
		t.Fatalf("sorted %q, want %q", got, want)
	}
}

func TestCleanLayerPath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/usr/bin/x", "usr/bin/x"},
		{"usr//bin/./x/", "usr/bin/x"},
		{"../../etc/passwd", "etc/passwd"},
		{`dir\name`, `dir\name`},
	} {
		got, err := cleanLayerPath(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("cleanLayerPath(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "/", ".", "/.."} {
		if _, err := cleanLayerPath(in); !errors.Is(err, ErrInvalidPath) {
			t.Errorf("cleanLayerPath(%q): %v, want ErrInvalidPath", in, err)
		}
	}
}

func TestKindString(t *testing.T) {
	if KindWhiteout.String() != "whiteout" || Kind(99).String() != "kind(99)" {
		t.Fatal("Kind.String")
	}
}
