package shell

import (
	"os/exec"
	"testing"
)

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"plain/path.pub":          "plain/path.pub",
		"env://COSIGN_KEY":        "env://COSIGN_KEY",
		"":                        "''",
		"a b":                     "'a b'",
		"it's":                    `'it'\''s'`,
		"line\nbreak":             "'line\nbreak'",
		"^https://x/.*@refs/v.*$": "'^https://x/.*@refs/v.*$'",
		"wow!":                    "'wow!'",
	} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
		// And a real shell reads it back as the one word.
		out, err := exec.Command("sh", "-c", "printf %s "+Quote(in)).Output()
		if err != nil || string(out) != in {
			t.Errorf("sh read %s back as %q (%v), want %q", Quote(in), out, err, in)
		}
	}
}
