package actions

import (
	"os"
	"path/filepath"
	"testing"
)

func TestEnv(t *testing.T) {
	event := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(event, []byte(`{"pull_request":{"number":7,"head":{"sha":"abc"},"base":{"ref":"main"}},
		"repository":{"name":"app","description":"An app","license":{"spdx_id":"MIT"},"default_branch":"main"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	e := Env{Actions: true, EventName: "pull_request", Ref: "refs/pull/7/merge", EventPath: event,
		Repository: "o/app", WorkflowRef: "o/app/.github/workflows/r.yml@refs/pull/7/merge"}
	ev, err := e.Event()
	if err != nil || ev.PRNumber != 7 || ev.BaseRef != "main" || ev.PRHeadSHA != "abc" || ev.DefaultBranch != "main" {
		t.Errorf("event %+v, %v", ev, err)
	}
	if got := e.WorkflowIdentity(); got != "https://github.com/o/app/.github/workflows/r.yml@refs/pull/7/merge" {
		t.Errorf("workflow identity %q", got)
	}
	e.ServerURL = "https://ghe.example.com/"
	if got := e.RepoURL(); got != "https://ghe.example.com/o/app" {
		t.Errorf("repo URL on GHES %q", got)
	}
	if info := e.RepoInfo(); info.Name != "app" || info.License != "MIT" || info.Description != "An app" {
		t.Errorf("repo info %+v", info)
	}
	if ev, err := (Env{EventPath: "/nonexistent"}).Event(); err != nil || ev.Name != "" {
		t.Errorf("outside Actions: %+v, %v", ev, err)
	}
	if _, err := (Env{Actions: true, EventPath: "/nonexistent"}).Event(); err == nil {
		t.Errorf("an unreadable payload in Actions is not reported")
	}
}
