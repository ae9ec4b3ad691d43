package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"5GB", 5_000_000_000}, {"500MB", 500_000_000}, {"1.5GiB", 1_610_612_736}, {"1048576", 1_048_576},
		{"10kB", 10_000}, {"1KiB", 1024}, {"2g", 2_000_000_000}, {"100 MB", 100_000_000}, {"7B", 7},
	} {
		if got, err := parseSize(tc.in); err != nil || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "GB", "-1", "5XB", "1.2.3GB", "0", "0.1"} {
		if got, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", bad, got)
		}
	}
}

func TestHumanSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0B", 999: "999B", 1500: "1.5kB", 1_234_567: "1.235MB", 5_000_000_000: "5GB"} {
		if got := humanSize(n); got != want {
			t.Errorf("humanSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestCachePruneBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--keep-storage", "5XB"}, "--keep-storage \"5XB\": unknown unit \"XB\"; e.g. --keep-storage 5GB"},
		{[]string{"--keep-storage", "lots"}, "--keep-storage \"lots\""},
		{[]string{"--filter", "until=soon"}, "--filter \"until=soon\": want a positive duration, e.g. --filter until=24h"},
		{[]string{"--filter", "type=blobs"}, "e.g. --filter until=24h"},
		{[]string{"--filtre", "until=1h"}, "did you mean \"--filter\""},
	} {
		r := stevedore(t, nil, "", append([]string{"cache", "prune", "--cache-dir", dir, "--force"}, tc.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, r.code, r.stderr, exitUsage, tc.want)
		}
	}
	if r := stevedore(t, nil, "", "cache", "prnue"); r.code != exitUsage || !strings.Contains(r.stderr, `did you mean "prune"`) {
		t.Errorf("cache prnue: exit %d, stderr %q", r.code, r.stderr)
	}
	// No --force and nobody to answer: nothing removed, and the fix named.
	if r := stevedore(t, nil, "", "cache", "prune", "--cache-dir", dir); r.code != exitUsage || !strings.Contains(r.stderr, "pass --force") {
		t.Errorf("prune without --force: exit %d, stderr %q", r.code, r.stderr)
	}
}

var snakeKey = regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)

// keysOf collects every object key in a decoded JSON document.
func keysOf(v any, into map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			into[k] = true
			keysOf(x, into)
		}
	case []any:
		for _, x := range v {
			keysOf(x, into)
		}
	}
}

func TestCacheDuAndPruneOfARealBuild(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipping: RUN needs root here")
	}
	base := registrytest.ServeBusybox(t)
	ctxDir, cache := t.TempDir(), t.TempDir()
	df := "FROM " + base + "\nCOPY hello.txt /hello.txt\nRUN --mount=type=cache,target=/c echo x > /c/x\n"
	for n, c := range map[string]string{"Dockerfile": df, "hello.txt": "hi\n"} {
		if err := os.WriteFile(filepath.Join(ctxDir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"SOURCE_DATE_EPOCH": "1700000000"}
	if r := stevedore(t, env, "", "build", ctxDir, "--cache-dir", cache, "--output", "oci:"+filepath.Join(t.TempDir(), "img")); r.code != 0 {
		t.Fatalf("build: exit %d: %s", r.code, r.stderr)
	}

	r := stevedore(t, env, "", "cache", "du", "--json", "--cache-dir", cache)
	if r.code != 0 {
		t.Fatalf("cache du: exit %d: %s", r.code, r.stderr)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	keys := map[string]bool{}
	keysOf(doc, keys)
	for k := range keys {
		if !snakeKey.MatchString(k) {
			t.Errorf("key %q is not lowercase snake_case", k)
		}
	}
	for _, k := range []string{"cache_dir", "kinds", "entries", "size_bytes", "reclaimable_bytes", "kind", "name", "last_used", "last_used_ago_seconds", "in_use"} {
		if !keys[k] {
			t.Errorf("no %q key in\n%s", k, r.stdout)
		}
	}
	var du duOutput
	if err := json.Unmarshal([]byte(r.stdout), &du); err != nil {
		t.Fatal(err)
	}
	var sum int64
	kinds := []string{}
	for _, k := range du.Kinds {
		sum += k.SizeBytes
		kinds = append(kinds, k.Kind)
	}
	var entrySum int64
	for _, e := range du.Entries {
		entrySum += e.SizeBytes
	}
	if du.SizeBytes == 0 || du.SizeBytes != sum || sum != entrySum || du.ReclaimableBytes != du.SizeBytes {
		t.Errorf("size_bytes %d, kinds sum to %d, entries to %d, reclaimable %d", du.SizeBytes, sum, entrySum, du.ReclaimableBytes)
	}
	for _, k := range []string{"blobs", "steps", "last-inputs", "run-mounts"} {
		if !slices.Contains(kinds, k) {
			t.Errorf("kinds %v, want %s among them", kinds, k)
		}
	}

	text := stevedore(t, env, "", "cache", "du", "--cache-dir", cache)
	t.Logf("cache du:\n%s", text.stdout)
	if !regexp.MustCompile(`(?m)^KIND +ENTRIES +SIZE +RECLAIMABLE$`).MatchString(text.stdout) || !regexp.MustCompile(`(?m)^blobs +\d+ +[0-9.]+[kMG]?B `).MatchString(text.stdout) {
		t.Errorf("cache du table:\n%s", text.stdout)
	}

	// Nothing is a day old: nothing to remove, and an empty list, not null.
	r = stevedore(t, env, "", "cache", "prune", "--json", "--force", "--filter", "until=24h", "--cache-dir", cache)
	if r.code != 0 || !strings.Contains(r.stdout, `"removed": []`) || !strings.Contains(r.stdout, `"reclaimed_bytes": 0`) {
		t.Errorf("prune until=24h: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = stevedore(t, env, "", "cache", "prune", "--json", "--dry-run", "--cache-dir", cache)
	var dry pruneOutput
	if err := json.Unmarshal([]byte(r.stdout), &dry); err != nil || !dry.DryRun || len(dry.Removed) != len(du.Entries) || dry.ReclaimedBytes != du.SizeBytes {
		t.Errorf("dry run: %v\n%s", err, r.stdout)
	}
	// Answered yes on stdin, as buildx prune asks.
	r = stevedore(t, env, "y\n", "cache", "prune", "--cache-dir", cache)
	if r.code != 0 || !strings.Contains(r.stdout, "Total:") {
		t.Errorf("prune: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = stevedore(t, env, "", "cache", "du", "--json", "--cache-dir", cache)
	if err := json.Unmarshal([]byte(r.stdout), &du); err != nil || du.SizeBytes != 0 || len(du.Entries) != 0 || !strings.Contains(r.stdout, `"entries": []`) {
		t.Errorf("after prune: %v\n%s", err, r.stdout)
	}
}
