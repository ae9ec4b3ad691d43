package version

import (
	"strings"
	"testing"
)

func TestSanitize(t *testing.T) {
	long := strings.Repeat("a", 200)
	cases := []struct{ in, want string }{
		{"1.2.3", "1.2.3"},
		{"feature/x", "feature-x"},
		{"feature//deep/x", "feature-deep-x"},
		{"1.2.3+build.7", "1.2.3-build.7"},
		{".hidden", "hidden"},
		{"-dash", "dash"},
		{"/leading-slash", "leading-slash"},
		{"..-.x", "x"},
		{"_ok", "_ok"},
		{"café", "caf-"},
		{"日本", ""},
		{"emoji🚀tag", "emoji-tag"},
		{"with space", "with-space"},
		{"", ""},
		{long, long[:128]},
		{"." + long, long[:128]},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			if got := Sanitize(tc.in); got != tc.want {
				t.Errorf("Sanitize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestFloatingLevel(t *testing.T) {
	cases := map[string]int{
		"{{version}}":                   floatNone,
		"{{major}}.{{minor}}":           floatMinor,
		"{{ major }}":                   floatMajor,
		"v{{major}}":                    floatMajor,
		"{{major}}.{{minor}}.{{patch}}": floatNone,
		"{{raw}}":                       floatNone,
		"static":                        floatNone,
	}
	for p, want := range cases {
		if got := floatingLevel(p); got != want {
			t.Errorf("floatingLevel(%q) = %d, want %d", p, got, want)
		}
	}
}
