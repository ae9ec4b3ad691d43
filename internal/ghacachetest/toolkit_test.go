package ghacachetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// toolkitScript saves or restores ./data with @actions/cache, as
// actions/cache does in a job.
const toolkitScript = `
const cache = await import(process.env.ACTIONS_CACHE_MODULE);
const [mode, key, ...restore] = process.argv.slice(2);
if (mode === "save") {
  console.log("saved=" + await cache.saveCache(["data"], key));
} else {
  console.log("restored=" + (await cache.restoreCache(["data"], key, restore) ?? ""));
}
`

// actions/toolkit's @actions/cache, the library actions/cache is made of,
// is a second oracle for the v2 service: its protobuf JSON in camelCase,
// int64 sizes as strings, Azure SDK for JavaScript uploads and its
// chunked ranged downloads. Set STEVEDORE_TEST_ACTIONS_CACHE_JS to a
// directory where `npm install @actions/cache` ran.
func TestGHAV2ActionsToolkitOracle(t *testing.T) {
	dir := os.Getenv("STEVEDORE_TEST_ACTIONS_CACHE_JS")
	module := filepath.Join(dir, "node_modules/@actions/cache/lib/cache.js")
	if _, err := os.Stat(module); dir == "" || err != nil {
		t.Skip("skipping: no @actions/cache; install it with .ci/oracles.sh actionscache and set STEVEDORE_TEST_ACTIONS_CACHE_JS to the directory it prints under (or to any directory where npm install @actions/cache ran)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("skipping: no node on PATH")
	}
	s := StartV2(t)
	script := filepath.Join(t.TempDir(), "cache.mjs")
	if err := os.WriteFile(script, []byte(toolkitScript), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(work string, args ...string) string {
		t.Helper()
		cmd := exec.Command(node, append([]string{script}, args...)...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "ACTIONS_CACHE_MODULE=file://"+module, "ACTIONS_CACHE_SERVICE_V2=true",
			"ACTIONS_RESULTS_URL="+s.URL, "ACTIONS_RUNTIME_TOKEN="+s.Token, "GITHUB_WORKSPACE="+work,
			"RUNNER_TEMP="+t.TempDir(), "GITHUB_SERVER_URL=https://github.com", "ACTIONS_CACHE_URL=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("node %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}

	src := t.TempDir()
	big := make([]byte, 3<<20)
	for i := range big {
		big[i] = byte(i * 7919 >> 3)
	}
	if err := os.MkdirAll(filepath.Join(src, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string][]byte{"data/a.txt": []byte("toolkit\n"), "data/big.bin": big} {
		if err := os.WriteFile(filepath.Join(src, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out := run(src, "save", "deps-linux-1"); !strings.Contains(out, "saved=1") {
		t.Fatalf("saveCache:\n%s", out)
	}
	if out := run(src, "save", "deps-linux-1"); !strings.Contains(out, "saved=-1") || !strings.Contains(out, "Unable to reserve cache with key deps-linux-1") {
		t.Errorf("saveCache of an existing key:\n%s\nwant the client's already-reserved message", out)
	}

	dst := t.TempDir()
	if out := run(dst, "restore", "deps-linux-2", "deps-linux-"); !strings.Contains(out, "restored=deps-linux-1") {
		t.Fatalf("restoreCache by restore key:\n%s", out)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "data/a.txt")); err != nil || string(b) != "toolkit\n" {
		t.Errorf("restored data/a.txt = %q, %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "data/big.bin")); err != nil || string(b) != string(big) {
		t.Errorf("restored data/big.bin: %d bytes, %v", len(b), err)
	}
	if out := run(t.TempDir(), "restore", "other-key"); !strings.Contains(out, "restored=\n") {
		t.Errorf("restoreCache of an unknown key:\n%s", out)
	}
}
