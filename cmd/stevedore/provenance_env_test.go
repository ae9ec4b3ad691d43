package main

import "testing"

// The run is read from GitHub's and GitLab's variables only under their
// own CI flag.
func TestCIRunFromEnvironment(t *testing.T) {
	for want, vars := range map[string]map[string]string{
		"https://github.com/o/r/actions/runs/9/attempts/3": {"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": "9", "GITHUB_RUN_ATTEMPT": "3"},
		"https://gitlab.example/g/p/-/jobs/5":              {"GITLAB_CI": "true", "CI_JOB_URL": "https://gitlab.example/g/p/-/jobs/5"},
		"":                                                 {"GITHUB_RUN_ID": "9", "GITHUB_REPOSITORY": "o/r", "CI_JOB_URL": "https://gitlab.example/g/p/-/jobs/5"},
	} {
		getenv := func(k string) string { return vars[k] }
		if got := ciRun(getenv).InvocationID(); got != want {
			t.Errorf("%v: %q, want %q", vars, got, want)
		}
	}
}
