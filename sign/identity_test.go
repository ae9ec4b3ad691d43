package sign

import "testing"

func TestMatchesAnything(t *testing.T) {
	for re, want := range map[string]bool{
		".*": true, "^.*$": true, "(?s).*": true, "": true, ".*|x": true, "^(.*)$": true,
		".+": false, `^https://github\.com/acme/`: false, "acme": false, "^$": false, "[": false,
	} {
		if got := MatchesAnything(re); got != want {
			t.Errorf("MatchesAnything(%q) = %v, want %v", re, got, want)
		}
	}
}
