package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The shell tests run this test binary as stevedore: with
// STEVEDORE_TEST_AS_CLI=1 it is the command line, not the tests.
func init() {
	if os.Getenv("STEVEDORE_TEST_AS_CLI") == "1" {
		os.Exit(run(context.Background(), os.Args, os.Stdin, os.Stdout, os.Stderr, os.Getenv))
	}
}

// cliOnPath puts a "stevedore" that is this test binary on PATH for shells.
func cliOnPath(t *testing.T) []string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.Symlink(self, filepath.Join(bin, "stevedore")); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	return []string{"STEVEDORE_TEST_AS_CLI=1", "PATH=" + bin + ":/usr/bin:/bin", "HOME=" + home, "XDG_CONFIG_HOME=" + home, "XDG_DATA_HOME=" + home}
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

func TestCompletionCandidates(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		want     []string // each must be offered
		not      []string // none may be
		wantNone bool
	}{
		{"commands", []string{"--generate-bash-completion"}, []string{"build", "release", "publish", "completion", "help"}, []string{"docs"}, false},
		{"flags of a command", []string{"build", "--pla", "--generate-bash-completion"}, []string{"--platform"}, []string{"--tag"}, false},
		{"deprecated spellings are not offered", []string{"publish", "--t", "--generate-bash-completion"}, []string{"--tag"}, []string{"--to"}, false},
		{"short flags with one dash", []string{"build", "-", "--generate-bash-completion"}, []string{"-f", "-t", "--destination"}, []string{"-o"}, false},
		{"an argument: the shell completes files", []string{"build", "--generate-bash-completion"}, nil, nil, true},
		{"subcommands", []string{"cache", "--generate-bash-completion"}, []string{"du", "prune"}, []string{"build"}, false},
		{"flags of a subcommand", []string{"cache", "prune", "--", "--generate-bash-completion"}, []string{"--keep-storage", "--filter", "--dry-run", "--cache-dir"}, []string{"--verbose"}, false},
		{"shells", []string{"completion", "--generate-bash-completion"}, []string{"bash", "zsh", "fish"}, nil, false},
		{"help topics", []string{"help", "--generate-bash-completion"}, []string{"build", "plan"}, nil, false},
		{"described", []string{"publish", "--dest", "--generate-shell-completion"}, []string{"--destination\twhere to copy it: a registry REF or oci:PATH (repeatable)"}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := stevedore(t, nil, "", tc.args...)
			got := lines(r.stdout)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			if tc.wantNone && len(got) > 0 {
				t.Errorf("offered %q, want nothing", got)
			}
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("%q not offered; got %q", w, got)
				}
			}
			for _, n := range tc.not {
				if slices.Contains(got, n) {
					t.Errorf("%q offered; got %q", n, got)
				}
			}
		})
	}
}

func TestCompletionScriptUnknownShell(t *testing.T) {
	r := stevedore(t, nil, "", "completion", "bsh")
	if r.code != exitUsage || !strings.Contains(r.stderr, `did you mean "bash"`) {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// completionScript writes `stevedore completion SHELL` to a file.
func completionScript(t *testing.T, shell string) string {
	t.Helper()
	r := stevedore(t, nil, "", "completion", shell)
	if r.code != 0 {
		t.Fatalf("completion %s: exit %d: %s", shell, r.code, r.stderr)
	}
	p := filepath.Join(t.TempDir(), "stevedore."+shell)
	if err := os.WriteFile(p, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func shell(t *testing.T, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s is not installed", name)
	}
	cmd := exec.Command(name, args...)
	cmd.Env = cliOnPath(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %q: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// bash: source the script, check it is registered, and call its function
// as bash does on <TAB>, with COMP_WORDS and COMP_CWORD.
func TestBashCompletion(t *testing.T) {
	script := completionScript(t, "bash")
	out := shell(t, "bash", "--norc", "--noprofile", "-c", `
source "$1"
complete -p stevedore
try() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _stevedore; echo "$* => ${COMPREPLY[*]}"; }
try stevedore bu
try stevedore build --pla
try stevedore publish --dest
try stevedore completion z
`, "bash", script)
	for _, want := range []string{
		"complete -o bashdefault -o default -F _stevedore stevedore",
		"stevedore bu => build\n",
		"stevedore build --pla => --platform\n",
		"stevedore publish --dest => --destination\n",
		"stevedore completion z => zsh\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("bash completion: missing %q in\n%s", want, out)
		}
	}
}

// fish: complete -C prints what fish would offer for a command line.
func TestFishCompletion(t *testing.T) {
	script := completionScript(t, "fish")
	out := shell(t, "fish", "--no-config", "-c", `source $argv[1]
complete -C 'stevedore bu'
complete -C 'stevedore build --pla'
complete -C 'stevedore merge --dest'`, script)
	for _, want := range []string{"build\tbuild a Dockerfile", "--platform\tplatforms to build", "--destination\trepository REF"} {
		if !strings.Contains(out, want) {
			t.Errorf("fish completion: missing %q in\n%s", want, out)
		}
	}
}

// zsh: the script loads under compinit and registers its function; the
// function, called as the completion system does (words, CURRENT), hands
// _describe "candidate:description" pairs, or falls back to _files.
func TestZshCompletion(t *testing.T) {
	script := completionScript(t, "zsh")
	out := shell(t, "zsh", "-f", "-c", `autoload -U compinit && compinit -u -D && source "$1"
print -r -- "registered: $_comps[stevedore]"
_describe() { print -rl -- "${(@P)2}"; }
_files() { print -r -- "FILES"; }
words=(stevedore bu); CURRENT=2; _stevedore
words=(stevedore build --pla); CURRENT=3; _stevedore
words=(stevedore build ""); CURRENT=3; _stevedore`, "zsh", script)
	for _, want := range []string{
		"registered: _stevedore\n",
		"build:build a Dockerfile into an OCI image without a daemon\n",
		"--platform:platforms to build",
		"FILES\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("zsh completion: missing %q in\n%s", want, out)
		}
	}
}
