package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --progress auto on a terminal that cannot redraw (TERM=dumb) prints plain
// lines, a forced --progress tty keeps the live line (as docker buildx's
// does); --json makes auto json; a wrong mode is a usage error.
func TestProgressMode(t *testing.T) {
	for _, c := range []struct {
		flag            string
		json, gha, term bool
		termEnv, want   string
	}{
		{flag: "auto", term: true, want: "tty"},
		{flag: "auto", term: true, termEnv: "dumb", want: "plain"},
		{flag: "tty", term: true, termEnv: "dumb", want: "tty"}, // forced wins, as docker buildx
		{flag: "tty", want: "tty"},
		{flag: "auto", want: "plain"},
		{flag: "auto", term: true, gha: true, want: "plain"},
		{flag: "auto", term: true, json: true, want: "json"},
		{flag: "plain", json: true, want: "plain"},
		{flag: "quiet", want: "quiet"},
		{flag: "json", want: "json"},
	} {
		got, err := progressMode(c.flag, c.json, c.gha, c.term, mapEnv(map[string]string{"TERM": c.termEnv}))
		if err != nil || got != c.want {
			t.Errorf("%+v: %q, %v; want %q", c, got, err, c.want)
		}
	}
	if _, err := progressMode("fancy", false, false, true, mapEnv(nil)); err == nil {
		t.Error("--progress fancy accepted")
	}
}

func mapEnv(m map[string]string) env { return func(k string) string { return m[k] } }

// build --progress=json writes one event per line in the CLI's JSON
// convention (snake_case keys, durations in seconds), not Go field names
// and nanoseconds.
func TestBuildProgressJSON(t *testing.T) {
	ctxDir := t.TempDir()
	for n, c := range map[string]string{"Dockerfile": "FROM scratch\nCOPY hello.txt /hello.txt\n", "hello.txt": "hi\n"} {
		if err := os.WriteFile(filepath.Join(ctxDir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"SOURCE_DATE_EPOCH": "1700000000", "XDG_CACHE_HOME": t.TempDir()}
	r := stevedore(t, env, "", "build", ctxDir, "--destination", "oci:"+filepath.Join(t.TempDir(), "image"), "--progress", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var steps int
	for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("stderr line %q is not JSON: %v", line, err)
		}
		for k := range ev {
			if k != strings.ToLower(k) {
				t.Errorf("key %q is not lowercase: %s", k, line)
			}
		}
		if ev["event"] == "step" && ev["status"] == "done" {
			steps++
			if _, ok := ev["duration_seconds"].(float64); !ok || ev["line"] != 2.0 || ev["instruction"] != "COPY hello.txt /hello.txt" {
				t.Errorf("step event %s", line)
			}
		}
	}
	if steps != 1 {
		t.Errorf("%d done steps in\n%s", steps, r.stderr)
	}
}
