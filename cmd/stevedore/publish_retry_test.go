package main

import (
	"encoding/json"
	"net/http"
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
		Event    string `json:"event"`
		Registry string `json:"registry"`
		Request  string `json:"request"`
		Wait     int64  `json:"wait_ns"`
		GaveUp   bool   `json:"gave_up"`
	}
	found := false
	for _, line := range strings.Split(r.stderr, "\n") {
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Event == "retry" {
			found = ev.Registry == px.Host && ev.Request == "blob upload start" && ev.Wait == 3600e9 && ev.GaveUp
		}
	}
	if !found {
		t.Errorf("no give-up event naming %s with a 1h wait in stderr:\n%s", px.Host, r.stderr)
	}
	if !strings.Contains(r.stderr, "rate limited") || !strings.Contains(r.stderr, "1h0m0s") {
		t.Errorf("error does not say rate limited / 1h0m0s:\n%s", r.stderr)
	}
}
