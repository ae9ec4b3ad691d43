package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestVersionBuildInfo(t *testing.T) {
	r := stevedore(t, nil, "", "version", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var got buildInfoOut
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	// The test binary links the same libraries as stevedore, so
	// ReadBuildInfo must report them.
	if !strings.HasPrefix(got.GoVersion, "go") || !strings.HasPrefix(got.Libraries["cosign"], "v2.") || !strings.HasPrefix(got.Libraries["syft"], "v1.") {
		t.Errorf("build info = %+v", got)
	}
	r = stevedore(t, nil, "", "version")
	for _, want := range []string{"version:", "commit:", "go:", "cosign:", "syft:"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("version output lacks %q (exit %d):\n%s%s", want, r.code, r.stdout, r.stderr)
		}
	}
	if r.stderr != "" {
		t.Errorf("plain version wrote to stderr: %s", r.stderr)
	}
}

func TestVersionPlanningDeprecated(t *testing.T) {
	dir := gitRepo(t, "commit feat: first", "tag v1.2.3", "commit fix: a bug")
	old := stevedore(t, nil, "", "version", "--dir", dir, "--json")
	plan := stevedore(t, nil, "", "plan", "--dir", dir, "--json")
	if old.code != 0 || plan.code != 0 {
		t.Fatalf("exit %d/%d: %s %s", old.code, plan.code, old.stderr, plan.stderr)
	}
	if old.stdout != plan.stdout || !strings.Contains(plan.stdout, `"version": "1.2.4"`) {
		t.Errorf("version --dir and plan differ:\n%s\n%s", old.stdout, plan.stdout)
	}
	if !strings.Contains(old.stderr, "deprecated") || !strings.Contains(old.stderr, "stevedore plan") || plan.stderr != "" {
		t.Errorf("stderr: version %q, plan %q", old.stderr, plan.stderr)
	}
}

func TestPlanNotes(t *testing.T) {
	dir := gitRepo(t, "commit feat: first", "tag v1.2.3", "commit fix(cli): a bug", "commit chore: deps")
	sha := git(t, dir, "rev-parse", "--short=7", "HEAD~1")
	r := stevedore(t, nil, "", "plan", "--dir", dir, "--notes")
	want := "## v1.2.4 (2026-01-02)\n\n### Bug fixes\n\n- **cli:** a bug (" + sha + ")\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("exit %d, notes =\n%q\nwant\n%q\n%s", r.code, r.stdout, want, r.stderr)
	}
	for _, args := range [][]string{{"--notes", "--json"}, {"--notes", "--date", "2.12.2026"}} {
		r := stevedore(t, nil, "", append([]string{"plan", "--dir", dir}, args...)...)
		if r.code != exitUsage {
			t.Errorf("plan %v: exit %d, want %d: %s", args, r.code, exitUsage, r.stderr)
		}
	}
}
