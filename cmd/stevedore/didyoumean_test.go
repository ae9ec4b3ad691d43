package main

import (
	"strings"
	"testing"
)

func TestDidYouMean(t *testing.T) {
	repo := gitRepo(t, "commit feat: first")
	for _, tc := range []struct {
		name string
		args []string
		want string // in stderr; "" means no hint at all
	}{
		{"command", []string{"buidl"}, `unknown command "buidl" (did you mean "build"?)`},
		{"command far from any", []string{"frobnicate"}, ""},
		{"help topic", []string{"help", "relase"}, `unknown command "relase" (did you mean "release"?)`},
		{"flag of a command", []string{"build", "--destinaton", "oci:x"}, `stevedore: build: unknown flag --destinaton (did you mean "--destination"?)`},
		{"flag typed with one dash", []string{"plan", "--dir", repo, "-jsn"}, `unknown flag --jsn (did you mean "--json"?)`},
		{"global flag", []string{"--verison"}, `unknown flag --verison (did you mean "--version"?)`},
		{"old spelling of a tag rule flag", []string{"plan", "--dir", repo, "--tag-rules", "type=sha"}, `(did you mean "--tag-rule"?)`},
		{"flag far from any", []string{"publish", "--zzzzzzzz"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := stevedore(t, nil, "", tc.args...)
			if r.code != exitUsage {
				t.Fatalf("exit %d, want %d (usage); stderr %q", r.code, exitUsage, r.stderr)
			}
			if tc.want == "" {
				if strings.Contains(r.stderr, "did you mean") {
					t.Errorf("a wild guess: %q", r.stderr)
				}
				return
			}
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr %q, want %q", r.stderr, tc.want)
			}
		})
	}
}
