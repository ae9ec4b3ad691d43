package suggest

import "testing"

func TestNearest(t *testing.T) {
	names := []string{"destination", "tag", "tag-rule", "platform"}
	for _, tc := range []struct{ got, want string }{
		{"destinaton", "destination"},
		{"platfrom", "platform"},
		{"tga", "tag"},
		{"tag-rules", "tag-rule"},
		{"zzzzzz", ""},
		{"", ""},
	} {
		if got := Nearest(tc.got, names); got != tc.want {
			t.Errorf("Nearest(%q) = %q, want %q", tc.got, got, tc.want)
		}
	}
}

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"tag", "tga", 2}, {"same", "same", 0}} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
