package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// The old spellings still work, say what replaces them, and give the same
// result as the new ones.
func TestRenamedTagRuleFlags(t *testing.T) {
	repo := gitRepo(t, "commit feat: first", "tag v1.2.3", "commit fix: a bug")
	rules := "type=semver,pattern={{version}}\ntype=sha"
	rulesFile := filepath.Join(t.TempDir(), "rules")
	if err := os.WriteFile(rulesFile, []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	current := stevedore(t, nil, "", "plan", "--dir", repo, "--json", "--tag-rule", rules)
	if current.code != 0 || current.stderr != "" || !strings.Contains(current.stdout, "1.2.4") {
		t.Fatalf("--tag-rule: exit %d, stderr %q, stdout %s", current.code, current.stderr, current.stdout)
	}
	for _, tc := range []struct {
		args   []string
		notice string
	}{
		{[]string{"plan", "--dir", repo, "--json", "--tags", rules}, "--tags is deprecated and will be removed; use --tag-rule"},
		{[]string{"plan", "--dir", repo, "--json", "--tags-file", rulesFile}, "--tags-file is deprecated and will be removed; use --tag-rules-file"},
		{[]string{"plan", "--dir", repo, "--json", "--tag-rules-file", rulesFile}, ""},
	} {
		r := stevedore(t, nil, "", tc.args...)
		if r.code != 0 || r.stdout != current.stdout {
			t.Errorf("%q: exit %d, stdout %s, want %s (stderr %q)", tc.args, r.code, r.stdout, current.stdout, r.stderr)
		}
		if tc.notice == "" && r.stderr != "" || !strings.Contains(r.stderr, tc.notice) {
			t.Errorf("%q: stderr %q, want %q", tc.args, r.stderr, tc.notice)
		}
	}
	r := stevedore(t, nil, "", "plan", "--dir", repo, "--tags", rules, "--tag-rule", rules)
	if r.code != exitUsage || !strings.Contains(r.stderr, "--tags and --tag-rule are the same flag") {
		t.Errorf("both spellings: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestRenamedDestinationFlags(t *testing.T) {
	ctxDir := t.TempDir()
	for n, c := range map[string]string{"Dockerfile": "FROM scratch\nCOPY hello.txt /\n", "hello.txt": "hi\n"} {
		if err := os.WriteFile(filepath.Join(ctxDir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"SOURCE_DATE_EPOCH": "1700000000", "XDG_CACHE_HOME": t.TempDir()}
	dir := t.TempDir()
	layout := func(name string) string { return "oci:" + filepath.Join(dir, name) }
	hasImage := func(name string) bool {
		_, err := os.Stat(filepath.Join(dir, name, "index.json"))
		return err == nil
	}
	for _, tc := range []struct {
		name   string
		args   []string
		out    string
		notice string
	}{
		{"build --destination", []string{"build", ctxDir, "--destination", layout("a")}, "a", ""},
		{"build --output", []string{"build", ctxDir, "--output", layout("b")}, "b", "--output is deprecated and will be removed; use --destination"},
		{"build -o", []string{"build", ctxDir, "-o", layout("c")}, "c", "-o is deprecated and will be removed; use --destination"},
		{"build --to", []string{"build", ctxDir, "--to", layout("d")}, "d", "--to is deprecated and will be removed; use --destination"},
		{"publish --destination", []string{"publish", "--ledger", "", "--from", layout("a"), "--destination", layout("e")}, "e", ""},
		{"publish --to", []string{"publish", "--ledger", "", "--from", layout("a"), "--to", layout("f"), "--to", layout("g")}, "g", "--to is deprecated and will be removed; use --destination"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := stevedore(t, env, "", tc.args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if !hasImage(tc.out) {
				t.Errorf("no image written to %s", tc.out)
			}
			if tc.notice == "" && strings.Contains(r.stderr, "deprecated") || !strings.Contains(r.stderr, tc.notice) {
				t.Errorf("stderr %q, want %q", r.stderr, tc.notice)
			}
		})
	}
	if !hasImage("f") {
		t.Error("publish --to X --to Y: X not written: repeated old spellings must all count")
	}
	r := stevedore(t, env, "", "publish", "--from", layout("a"), "--to", layout("h"), "--destination", layout("i"))
	if r.code != exitUsage || !strings.Contains(r.stderr, "--to and --destination are the same flag") {
		t.Errorf("both spellings: exit %d, stderr %q", r.code, r.stderr)
	}
}

// Every old spelling belongs to a command that has it, hidden.
func TestRenamedFlagsTable(t *testing.T) {
	app := newApp(nil, io.Discard, io.Discard, func(string) string { return "" })
	for cmdName, renames := range renamedFlags {
		cmd := app.Command(cmdName)
		if cmd == nil {
			t.Errorf("renamedFlags names %q, which is no command", cmdName)
			continue
		}
		for old := range renames {
			f := flagNamed(cmd.Flags, old)
			if v, ok := f.(cli.VisibleFlag); !ok || v.IsVisible() {
				t.Errorf("%s %s: the old spelling is visible", cmdName, dashed(old))
			}
		}
	}
}
