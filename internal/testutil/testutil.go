// Package testutil holds the small helpers tests of several packages
// share: writing a tree of files, running git with a fixed identity and
// date (so every test repository has reproducible commits), and reading
// buildctl's progress.
package testutil

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// WriteFile writes content to path (mode 0644), creating its directories.
func WriteFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// WriteFiles writes each file (path relative to dir → content) below dir.
func WriteFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		WriteFile(t, filepath.Join(dir, name), content)
	}
}

// GitEnv is the process environment with git's user and system
// configuration turned off and a fixed author and committer at date (in a
// form git reads: "@1700000000 +0000", "2026-01-02T03:04:05Z").
func GitEnv(date string) []string {
	return append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_AUTHOR_DATE="+date,
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_COMMITTER_DATE="+date)
}

// Git runs git in dir with GitEnv(date) and returns its output, trimmed;
// a failure fails t with that output.
func Git(t testing.TB, dir, date string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = GitEnv(date)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// CachedVertices reads buildctl's --progress rawjson output: for each
// vertex name after its "[i/n] " prefix, whether BuildKit reported it
// cached.
func CachedVertices(t testing.TB, progress string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	dec := json.NewDecoder(strings.NewReader(progress))
	for dec.More() {
		var st struct {
			Vertexes []struct {
				Name   string
				Cached bool
			}
		}
		if err := dec.Decode(&st); err != nil {
			t.Fatalf("reading buildctl's rawjson progress: %v", err)
		}
		for _, v := range st.Vertexes {
			name := v.Name
			if i := strings.Index(name, "] "); strings.HasPrefix(name, "[") && i > 0 {
				name = name[i+2:]
			}
			out[name] = out[name] || v.Cached
		}
	}
	return out
}
