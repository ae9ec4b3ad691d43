package pipeline

import (
	"os/exec"
	"testing"
)

func TestCIRunInvocationID(t *testing.T) {
	for want, c := range map[string]CIRun{
		"": {},
		"https://github.com/o/r/actions/runs/42/attempts/2":  {GitHubRepository: "o/r", GitHubRunID: "42", GitHubRunAttempt: "2"},
		"https://ghe.example/o/r/actions/runs/42/attempts/1": {GitHubServerURL: "https://ghe.example/", GitHubRepository: "o/r", GitHubRunID: "42"},
		"https://gitlab.example/g/p/-/jobs/7":                {GitLabJobURL: "https://gitlab.example/g/p/-/jobs/7"},
	} {
		if got := c.InvocationID(); got != want {
			t.Errorf("%+v: %q, want %q", c, got, want)
		}
	}
}

// The source is read from the repository itself: origin's URL, without
// its credentials, and the branch's ref.
func TestGitSource(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	run("init", "-q", "-b", "trunk")
	if remote, ref := gitSource(t.Context(), dir); remote != "" || ref != "refs/heads/trunk" {
		t.Errorf("no remote: %q %q", remote, ref)
	}
	run("remote", "add", "origin", "https://bot:s3cret@github.com/o/r.git")
	if remote, _ := gitSource(t.Context(), dir); remote != "https://github.com/o/r" {
		t.Errorf("remote = %q", remote)
	}
	// A clone of a local path has no address to record.
	run("remote", "set-url", "origin", "/srv/git/r.git")
	if remote, _ := gitSource(t.Context(), dir); remote != "" {
		t.Errorf("local remote = %q", remote)
	}
	if remote, ref := gitSource(t.Context(), t.TempDir()); remote != "" || ref != "" {
		t.Errorf("not a repository: %q %q", remote, ref)
	}
}
