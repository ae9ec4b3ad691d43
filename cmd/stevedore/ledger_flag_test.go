package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --ledger "" means no ledger for release as for publish: nothing is
// written to dist/release.json, the plan says so, and the release's SBOMs
// still go to dist/.
func TestEmptyLedgerFlagWritesNone(t *testing.T) {
	dir := t.TempDir()
	for n, c := range map[string]string{"Dockerfile": "FROM scratch\nCOPY hello.txt /\n", "hello.txt": "hi\n"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"XDG_CACHE_HOME": t.TempDir(), "COSIGN_PASSWORD": "correct horse battery"}
	plan := stevedore(t, env, "", "release", "--dir", dir, "--ledger", "", "--dry-run")
	if plan.code != 0 || strings.Contains(plan.stdout, "→ ledger") || !strings.Contains(plan.stdout, "ledger: none") {
		t.Errorf("dry run with --ledger \"\": exit %d\n%s%s", plan.code, plan.stdout, plan.stderr)
	}
	r := stevedore(t, env, "", "release", "--dir", dir, "--ledger", "")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	// The release's progress shows what was signed and attested.
	if !strings.Contains(r.stderr, "   signed oci:") || !strings.Contains(r.stderr, "   attested oci:") {
		t.Errorf("no signed and attested events in the progress:\n%s", r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "dist/release.json")); !os.IsNotExist(err) {
		t.Errorf("release --ledger \"\" wrote dist/release.json (%v)", err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "dist/sbom/*")); len(m) == 0 {
		t.Errorf("no SBOM in dist/sbom")
	}
	pub := stevedore(t, nil, "", "publish", "--ledger", "", "--from", "oci:"+filepath.Join(dir, "dist/image"), "--destination", "oci:"+t.TempDir())
	if pub.code != 0 {
		t.Fatalf("publish: exit %d: %s", pub.code, pub.stderr)
	}
	if _, err := os.Stat("dist/release.json"); !os.IsNotExist(err) {
		t.Errorf("publish --ledger \"\" wrote dist/release.json (%v)", err)
	}
}
