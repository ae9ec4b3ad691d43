package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/builder/isolate"
	"github.com/sreevishnu07/stevedore/internal/testutil"
)

func TestMain(m *testing.M) {
	// build's RUN steps re-execute the test binary as their init.
	isolate.Init()
	os.Exit(m.Run())
}

// result is what one stevedore invocation printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

// stevedore runs the CLI in-process with the given environment only.
func stevedore(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string { return env[k] }
	code := run(context.Background(), append([]string{"stevedore"}, args...), strings.NewReader(stdin), &out, &errOut, getenv)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// gitRepo makes a repository with deterministic commits; each step is
// either "commit MESSAGE" or "tag NAME".
func gitRepo(t *testing.T, steps ...string) string {
	t.Helper()
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	for _, s := range steps {
		verb, arg, _ := strings.Cut(s, " ")
		switch verb {
		case "commit":
			git(t, dir, "commit", "-q", "--allow-empty", "-m", arg)
		case "tag":
			git(t, dir, "tag", arg)
		default:
			t.Fatalf("unknown step %q", s)
		}
	}
	return dir
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	return testutil.Git(t, dir, "2026-01-02T03:04:05Z", args...)
}

func TestVersionJSON(t *testing.T) {
	dir := gitRepo(t, "commit feat: first", "tag v1.2.3", "commit fix: a bug", "commit feat(api): new endpoint")
	head := git(t, dir, "rev-parse", "HEAD")
	r := stevedore(t, nil, "", "version", "--dir", dir, "--json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var got struct {
		Current    string   `json:"current"`
		Version    string   `json:"version"`
		Bump       string   `json:"bump"`
		Prerelease bool     `json:"prerelease"`
		Commit     string   `json:"commit"`
		Tags       []string `json:"tags"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, r.stdout)
	}
	want := []string{"1.3.0", "1.3", "1", "sha-" + head[:7], "latest"} // latest last, as metadata-action
	if got.Current != "1.2.3" || got.Version != "1.3.0" || got.Bump != "minor" || got.Prerelease || got.Commit != head {
		t.Errorf("got %+v", got)
	}
	if strings.Join(got.Tags, " ") != strings.Join(want, " ") {
		t.Errorf("tags = %v, want %v", got.Tags, want)
	}
}

func TestVersionText(t *testing.T) {
	dir := gitRepo(t, "commit feat: first", "tag v1.2.3", "commit fix!: drop the old flag")
	r := stevedore(t, nil, "", "version", "--dir", dir, "--prerelease", "rc")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"current  1.2.3 (v1.2.3)", "version  2.0.0-rc.1 (major bump, git tag v2.0.0-rc.1)", "tags     2.0.0-rc.1 sha-"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestVersionGitHubContext(t *testing.T) {
	dir := gitRepo(t, "commit feat: first", "tag v1.0.0", "commit feat: more")
	event := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(event, []byte(`{"pull_request":{"number":42},"repository":{"default_branch":"main"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"GITHUB_ACTIONS":    "true",
		"GITHUB_EVENT_NAME": "pull_request",
		"GITHUB_REF":        "refs/pull/42/merge",
		"GITHUB_HEAD_REF":   "feature/x",
		"GITHUB_EVENT_PATH": event,
	}
	r := stevedore(t, env, "", "version", "--dir", dir, "--json", "--tags", "type=ref,event=pr\ntype=ref,event=branch")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var got struct{ Tags []string }
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Tags, " ") != "pr-42" {
		t.Errorf("tags = %v, want [pr-42] (a PR event has no branch tag)", got.Tags)
	}
}

func TestBadInput(t *testing.T) {
	repo := gitRepo(t, "commit feat: first", "tag v1.0.0")
	notGit := t.TempDir()
	shallow := filepath.Join(t.TempDir(), "shallow")
	git(t, repo, "commit", "-q", "--allow-empty", "-m", "fix: second")
	git(t, notGit, "clone", "-q", "--depth", "1", "file://"+repo, shallow)
	tests := []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"non-git directory", []string{"version", "--dir", notGit}, exitUsage, notGit},
		{"unknown tag-rule key", []string{"version", "--dir", repo, "--tags", "type=semver,patern={{version}}"}, exitUsage, "patern"},
		{"bad bump", []string{"version", "--dir", repo, "--bump", "huge"}, exitUsage, "huge"},
		{"shallow clone", []string{"version", "--dir", shallow}, exitUsage, "fetch-depth: 0"},
		{"unknown flag", []string{"version", "--nope"}, exitUsage, "nope"},
		{"unknown command", []string{"frobnicate"}, exitUsage, "frobnicate"},
		{"publish without destination", []string{"publish", "--from", "oci:x"}, exitUsage, "--destination"},
		{"publish malformed reference", []string{"publish", "--from", "oci:x", "--destination", "ghcr.io/Owner/App:1"}, exitUsage, "ghcr.io/Owner/App:1"},
		{"publish bad digest", []string{"publish", "--from", "localhost:5000/app@sha256:xyz", "--destination", "oci:out"}, exitUsage, "sha256:xyz"},
		{"login without stdin flag", []string{"login", "ghcr.io", "-u", "me"}, exitUsage, "--password-stdin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := stevedore(t, nil, "", tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", r.code, tt.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr does not name %q:\n%s", tt.want, r.stderr)
			}
		})
	}
}

func TestVersionTagsFileLine(t *testing.T) {
	dir := gitRepo(t, "commit feat: first")
	file := filepath.Join(t.TempDir(), "tags.txt")
	if err := os.WriteFile(file, []byte("type=sha\n\ntype=semver,patern={{version}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := stevedore(t, nil, "", "version", "--dir", dir, "--tags-file", file)
	if r.code != exitUsage {
		t.Fatalf("exit %d, want %d: %s", r.code, exitUsage, r.stderr)
	}
	if want := file + ": tag rules line 3:"; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr does not name %q:\n%s", want, r.stderr)
	}
}

// metadata-action's context: the PR head commit with
// DOCKER_METADATA_PR_HEAD_SHA, its short length, and enable expressions.
func TestVersionMetadataEnv(t *testing.T) {
	dir := gitRepo(t, "commit feat: first", "tag v1.0.0", "commit feat: more")
	event := filepath.Join(t.TempDir(), "event.json")
	head := "3370e228f2209994d57af4427fe64e71bb79ac96"
	if err := os.WriteFile(event, []byte(`{"pull_request":{"number":7,"head":{"sha":"`+head+`"},"base":{"ref":"main"}},"repository":{"default_branch":"main"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_REF": "refs/pull/7/merge",
		"GITHUB_SHA": "a9c8c5828b91be19d9728548b24759e352367ef1", "GITHUB_EVENT_PATH": event,
		"DOCKER_METADATA_PR_HEAD_SHA": "true", "DOCKER_METADATA_SHORT_SHA_LENGTH": "10",
	}
	r := stevedore(t, env, "", "version", "--dir", dir, "--json", "--tags",
		"type=sha\ntype=raw,value=on-default,enable={{is_default_branch}}\ntype=raw,value=base-{{base_ref}},enable={{is_not_default_branch}}")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var got struct{ Tags []string }
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatal(err)
	}
	if want := "base-main sha-3370e228f2"; strings.Join(got.Tags, " ") != want {
		t.Errorf("tags = %v, want %s", got.Tags, want)
	}
	env["DOCKER_METADATA_SHORT_SHA_LENGTH"] = "ten"
	r = stevedore(t, env, "", "version", "--dir", dir)
	if r.code != exitUsage || !strings.Contains(r.stderr, "DOCKER_METADATA_SHORT_SHA_LENGTH") {
		t.Errorf("exit %d, want %d naming DOCKER_METADATA_SHORT_SHA_LENGTH: %s", r.code, exitUsage, r.stderr)
	}
}
