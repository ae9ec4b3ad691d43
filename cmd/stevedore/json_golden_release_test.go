package main

import (
	"encoding/json"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// The JSON of a release's flow, each command as a script reads it: the
// plan (--dry-run), the release, a publish of the result to another
// repository and a verify of its signature. Host, paths, commit and
// versioned strings are normalised; digests are numbered in order of
// appearance, so the golden files also pin which fields name the same
// digest.
func TestJSONReleaseFlow(t *testing.T) {
	dir := flagProject(t)
	reg := registrytest.InProcess(t)
	commit := git(t, dir, "rev-parse", "HEAD")
	// Outside the repository: release has no "no ledger" (its SBOMs go
	// next to it), and the work tree must stay clean.
	out := t.TempDir()
	env := map[string]string{"XDG_CACHE_HOME": t.TempDir(), "COSIGN_PASSWORD": "golden", "SOURCE_DATE_EPOCH": "1700000000"}
	norm := []string{dir, "$DIR", out, "$OUT", reg, "$REGISTRY", commit, "$COMMIT", commit[:7], "$SHORT", runtime.GOOS + "/" + runtime.GOARCH, "$PLATFORM", runtime.GOOS + "-" + runtime.GOARCH, "$PLATFORM"}
	args := []string{"release", "--dir", dir, "--context", "app", "--file", "app/Containerfile",
		"--destination", reg + "/acme/app", "--ledger", filepath.Join(out, "release.json"), "--json"}

	plan := stevedore(t, env, "", append(args, "--dry-run")...)
	if plan.code != 0 {
		t.Fatalf("plan: exit %d: %s", plan.code, plan.stderr)
	}
	golden(t, "release-plan", plan.stdout, norm...)

	rel := stevedore(t, env, "", args...)
	if rel.code != 0 {
		t.Fatalf("release: exit %d: %s", rel.code, rel.stderr)
	}
	golden(t, "release", rel.stdout, norm...)
	var doc struct {
		Ledger struct {
			Images []struct {
				Digest string `json:"digest"`
			} `json:"images"`
		} `json:"ledger"`
	}
	if err := json.Unmarshal([]byte(rel.stdout), &doc); err != nil || len(doc.Ledger.Images) != 1 {
		t.Fatalf("release JSON has no image: %v\n%s", err, rel.stdout)
	}
	ref := reg + "/acme/app@" + doc.Ledger.Images[0].Digest

	pub := stevedore(t, env, "", "publish", "--from", ref, "--to", reg+"/mirror/app:stable", "--ledger", "", "--json")
	if pub.code != 0 {
		t.Fatalf("publish: exit %d: %s", pub.code, pub.stderr)
	}
	golden(t, "publish", pub.stdout, norm...)

	ver := stevedore(t, env, "", "verify", ref, "--key", filepath.Join(dir, ".stevedore", "cosign.pub"), "--insecure-ignore-tlog", "--json")
	if ver.code != 0 {
		t.Fatalf("verify: exit %d: %s", ver.code, ver.stderr)
	}
	golden(t, "verify", ver.stdout, norm...)
}
