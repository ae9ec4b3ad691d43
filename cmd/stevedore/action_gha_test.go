package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// actions/runtime (run by node, as the runner does) writes the cache
// service's variables to a private file named in its env-file output,
// prints nothing, and removes its copy in the workspace.
func TestRuntimeActionWritesVariables(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed (apt-get install nodejs)")
	}
	root, _ := filepath.Abs("../..")
	ws, tmp := t.TempDir(), t.TempDir()
	copy := filepath.Join(ws, ".stevedore-runtime")
	writeFiles(t, copy, map[string]string{"index.js": readFile(t, filepath.Join(root, "actions/runtime/index.js")), "action.yml": "x"})
	out := filepath.Join(tmp, "output")
	const token = "eyJhbGciOi.runtime-token.sig"
	cmd := exec.Command(node, filepath.Join(copy, "index.js"))
	cmd.Env = []string{"ACTIONS_RUNTIME_TOKEN=" + token, "ACTIONS_CACHE_URL=http://127.0.0.1:1/abc/", "RUNNER_TEMP=" + tmp, "GITHUB_OUTPUT=" + out, "UNRELATED=x"}
	log, err := cmd.CombinedOutput()
	if err != nil || len(log) != 0 {
		t.Fatalf("index.js: %v, printed %q (want nothing)", err, log)
	}
	file, ok := strings.CutPrefix(strings.TrimSpace(readFile(t, out)), "env-file=")
	if !ok {
		t.Fatalf("output = %q", readFile(t, out))
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: %v, mode %v; want 0600", file, err, fi.Mode())
	}
	if got := readFile(t, file); got != "ACTIONS_RUNTIME_TOKEN="+token+"\nACTIONS_CACHE_URL=http://127.0.0.1:1/abc/\n" {
		t.Errorf("env file = %q", got)
	}
	if _, err := os.Stat(copy); !os.IsNotExist(err) {
		t.Errorf("the copy in the workspace is still there: %v", err)
	}
}

// The step before it copies actions/runtime into the workspace only when a
// cache is type=gha, in the inputs or in stevedore.yaml.
func TestGHACacheStepCopiesOnlyWhenWanted(t *testing.T) {
	root, _ := filepath.Abs("../..")
	for _, tt := range []struct {
		name, from, to, config string
		want                   bool
	}{
		{"none", "type=local,src=/tmp/c", "", "", false},
		{"cache-from", "type=gha", "", "", true},
		{"cache-to", "", "type=gha,mode=max", "", true},
		{"config", "", "", "cache-to: \"type = gha,scope=web\"\n", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ws, out := t.TempDir(), filepath.Join(t.TempDir(), "output")
			if tt.config != "" {
				writeFiles(t, ws, map[string]string{"app/stevedore.yaml": tt.config})
			}
			cmd := exec.Command("bash", filepath.Join(root, ".github/action/gha-cache.sh"))
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "ACTION_PATH=" + root, "GITHUB_WORKSPACE=" + ws, "GITHUB_OUTPUT=" + out,
				"INPUT_WORKING_DIRECTORY=" + filepath.Join(ws, "app"), "INPUT_CACHE_FROM=" + tt.from, "INPUT_CACHE_TO=" + tt.to}
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("gha-cache.sh: %v\n%s", err, b)
			}
			_, err := os.Stat(filepath.Join(ws, ".stevedore-runtime", "index.js"))
			if got := readFile(t, out); got != map[bool]string{true: "wanted=true\n", false: "wanted=false\n"}[tt.want] || (err == nil) != tt.want {
				t.Errorf("output %q, copied: %v; want wanted=%v", got, err == nil, tt.want)
			}
		})
	}
}

// The release step exports the variables of actions/runtime's file to
// stevedore, only those, and removes the file and the workspace copy.
func TestReleaseStepReadsRuntimeFile(t *testing.T) {
	root, _ := filepath.Abs("../..")
	tmp, ws := t.TempDir(), t.TempDir()
	stub := filepath.Join(tmp, "stevedore")
	writeFiles(t, tmp, map[string]string{"stevedore": "#!/bin/bash\necho \"token=$ACTIONS_RUNTIME_TOKEN url=$ACTIONS_CACHE_URL other=${OTHER-unset}\"\n"})
	if err := os.Chmod(stub, 0o755); err != nil {
		t.Fatal(err)
	}
	env := filepath.Join(tmp, "runtime.env")
	writeFiles(t, tmp, map[string]string{"runtime.env": "ACTIONS_RUNTIME_TOKEN=a.b=c\nACTIONS_CACHE_URL=http://127.0.0.1:1/x/\nOTHER=$(touch pwned)\n"})
	writeFiles(t, ws, map[string]string{".stevedore-runtime/index.js": "x"})
	cmd := exec.Command("bash", filepath.Join(root, ".github/action/release.sh"))
	cmd.Dir = tmp
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "STEVEDORE=" + stub, "STEVEDORE_RUNTIME_ENV=" + env, "GITHUB_WORKSPACE=" + ws, "INPUT_WORKING_DIRECTORY=" + tmp}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("release.sh: %v\n%s", err, out)
	}
	if !strings.HasSuffix(strings.TrimSpace(string(out)), "\ntoken=a.b=c url=http://127.0.0.1:1/x/ other=unset") {
		t.Errorf("stevedore saw %q", out)
	}
	for _, p := range []string{env, filepath.Join(ws, ".stevedore-runtime"), filepath.Join(tmp, "pwned")} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s is there: %v", p, err)
		}
	}
}
