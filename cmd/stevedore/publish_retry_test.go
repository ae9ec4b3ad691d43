package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/internal/faultproxy"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// A registry asking to wait an hour: the CLI fails at once, stderr carries
// a JSON retry event with the registry, request kind and requested wait.
func TestPublishLongRetryAfterVisible(t *testing.T) {
	src := filepath.Join(t.TempDir(), "image")
	registrytest.WriteLayout(t, src, "", registrytest.Image(t, 1, 256))
	px := faultproxy.New(t, "http://"+registrytest.InProcess(t), nil,
		faultproxy.Rule{Method: http.MethodPost, Path: regexp.MustCompile(`/blobs/uploads/`), Status: http.StatusTooManyRequests, RetryAfter: "3600"})
	r := stevedore(t, nil, "", "publish", "--ledger", "", "--from", "oci:"+src, "--to", px.Host+"/app:v1", "--json")
	if r.code != exitFailed {
		t.Fatalf("exit %d, want %d: %s", r.code, exitFailed, r.stderr)
	}
	var ev struct {
		Event    string  `json:"event"`
		Registry string  `json:"registry"`
		Request  string  `json:"request"`
		Wait     float64 `json:"wait_seconds"`
		GaveUp   bool    `json:"gave_up"`
	}
	found := false
	for _, line := range strings.Split(r.stderr, "\n") {
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Event == "retry" {
			found = ev.Registry == px.Host && ev.Request == "blob upload start" && ev.Wait == 3600 && ev.GaveUp
		}
	}
	if !found {
		t.Errorf("no give-up event naming %s with a 1h wait in stderr:\n%s", px.Host, r.stderr)
	}
	if !strings.Contains(r.stderr, "rate limited") || !strings.Contains(r.stderr, "1h0m0s") {
		t.Errorf("error does not say rate limited / 1h0m0s:\n%s", r.stderr)
	}
}

// A release whose registry answers one manifest upload 503: the release
// recovers, and the retry is visible among its progress: a plain line
// naming the registry, request and wait, or with --json a JSON event on
// stderr (stdout keeps only the plan and ledger).
func TestReleaseShowsRegistryRetries(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "json"}[asJSON], func(t *testing.T) {
			dir := t.TempDir()
			for n, c := range map[string]string{"Dockerfile": "FROM scratch\nCOPY hello.txt /\n", "hello.txt": "hi\n"} {
				if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			px := faultproxy.New(t, "http://"+registrytest.InProcess(t), nil,
				faultproxy.Rule{Method: http.MethodPut, Path: regexp.MustCompile(`/manifests/sha256:`), Times: 1, Status: http.StatusServiceUnavailable})
			args := []string{"release", "--dir", dir, "--sign", "none", "--destination", px.Host + "/app", "--jobs", "2"}
			if asJSON {
				args = append(args, "--json")
			}
			r := stevedore(t, map[string]string{"XDG_CACHE_HOME": t.TempDir()}, "", args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if px.Faults(0) != 1 {
				t.Fatalf("faults = %d: the rule did not fire", px.Faults(0))
			}
			if !asJSON {
				want := px.Host + ": manifest upload: attempt 1 failed (503 Service Unavailable); retrying in "
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
				return
			}
			var ev struct {
				Event    string  `json:"event"`
				Registry string  `json:"registry"`
				Request  string  `json:"request"`
				Attempt  int     `json:"attempt"`
				Wait     float64 `json:"wait_seconds"`
				Reason   string  `json:"reason"`
				GaveUp   bool    `json:"gave_up"`
			}
			found := false
			for _, line := range strings.Split(r.stderr, "\n") {
				if json.Unmarshal([]byte(line), &ev) == nil && ev.Event == "retry" {
					found = ev.Registry == px.Host && ev.Request == "manifest upload" && ev.Attempt == 1 && ev.Wait > 0 && !ev.GaveUp && strings.Contains(ev.Reason, "503")
				}
			}
			if !found {
				t.Errorf("no retry event for %s manifest upload in stderr:\n%s", px.Host, r.stderr)
			}
			var out struct {
				Ledger struct{ Images []struct{ Digest string } }
			}
			if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out.Ledger.Images) != 1 {
				t.Errorf("stdout is not the release JSON alone: %v\n%s", err, r.stdout)
			}
		})
	}
}
