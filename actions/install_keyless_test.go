package actions_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/internal/cosigntest"
	"github.com/sreevishnu07/stevedore/internal/sigstoretest"
)

// TestInstallKeyless covers the second way the action verifies a download
// (an exact version the action pins no sums for) with real keyless
// signatures: releases built by .ci/dist.sh whose checksums.txt is signed
// with the cosign v3 CLI through a local Sigstore (Fulcio with a
// GitHub-workflow issuer, Rekor v2, a timestamp authority), as the release
// workflow would sign it or as someone else could. The install step gets
// the same CLI served as cosign's release binary (pinned in the test's
// checksums/cosign-*.txt) and the local trusted root.
func TestInstallKeyless(t *testing.T) {
	needTools(t, "bash", "curl")
	cosign := cosigntest.V3(t)
	releases := t.TempDir()
	dist := distRelease(t, releases, "1.2.3", false)
	ss := sigstoretest.Start(t)

	const repo = "sreevishnu07/stevedore"
	sha := strings.Repeat("5e", 20)
	a := "stevedore_linux_" + runtime.GOARCH
	bin, err := os.ReadFile(filepath.Join(dist, a))
	if err != nil {
		t.Fatal(err)
	}
	sums, err := os.ReadFile(filepath.Join(dist, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	// sign signs DIR/checksums.txt into DIR/checksums.txt.sigstore.json as
	// the release step does, with the identity of workflow w.
	sign := func(dir string, w sigstoretest.GitHubWorkflow) {
		t.Helper()
		cmd := exec.Command(cosign, "sign-blob", "--yes", "--bundle", filepath.Join(dir, "checksums.txt.sigstore.json"),
			"--signing-config", ss.SigningConfig, "--trusted-root", ss.TrustedRoot, "--identity-token", ss.GitHubToken(t, w),
			filepath.Join(dir, "checksums.txt"))
		cmd.Env = append(os.Environ(), "HOME="+home, "TUF_ROOT="+filepath.Join(home, ".sigstore"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("cosign sign-blob as %s: %v\n%s", w.Identity(), err, out)
		}
	}
	wf := func(ref string) sigstoretest.GitHubWorkflow {
		return sigstoretest.GitHubWorkflow{Repository: repo, Workflow: "release.yml", Ref: ref, SHA: sha, EventName: "push"}
	}
	// release writes release vVERSION: binary (nil: the dist build) and
	// the dist checksums.txt, signed as w unless w is nil.
	release := func(version string, w *sigstoretest.GitHubWorkflow, binary []byte) string {
		t.Helper()
		dir := filepath.Join(releases, "v"+version)
		if binary == nil {
			binary = bin
		}
		writeTree(t, dir, map[string]string{a: string(binary), "checksums.txt": string(sums)})
		if w != nil {
			sign(dir, *w)
		}
		return dir
	}
	ptr := func(w sigstoretest.GitHubWorkflow) *sigstoretest.GitHubWorkflow { return &w }

	// v1.2.3 as the release workflow signs it on the tag's push.
	sign(dist, wf("refs/tags/v1.2.3"))
	// v1.3.0: signed, then checksums.txt rewritten for a substitute binary.
	evil := append(append([]byte{}, bin...), "substitute"...)
	dir := release("1.3.0", ptr(wf("refs/tags/v1.3.0")), evil)
	writeTree(t, dir, map[string]string{"checksums.txt": sum(evil) + "  " + a + "\n"})
	// v1.3.1: signed, then the binary replaced.
	release("1.3.1", ptr(wf("refs/tags/v1.3.1")), evil)
	// v1.3.2: signed by another workflow of the repository.
	other := wf("refs/tags/v1.3.2")
	other.Workflow = "ci.yml"
	release("1.3.2", &other, nil)
	// v1.3.3: v1.2.3's signed checksums.txt replayed under another tag.
	dir = release("1.3.3", nil, nil)
	b, err := os.ReadFile(filepath.Join(dist, "checksums.txt.sigstore.json"))
	if err != nil {
		t.Fatal(err)
	}
	writeTree(t, dir, map[string]string{"checksums.txt.sigstore.json": string(b)})
	// v1.3.4: the release workflow on the tag, run by hand, not by its push.
	manual := wf("refs/tags/v1.3.4")
	manual.EventName = "workflow_dispatch"
	release("1.3.4", &manual, nil)
	// v1.3.5: a fork's release workflow.
	fork := wf("refs/tags/v1.3.5")
	fork.Repository = "someone/stevedore"
	release("1.3.5", &fork, nil)

	// cosign's "release": the v3 CLI under cosign's asset name, pinned.
	cosignBin, err := os.ReadFile(cosign)
	if err != nil {
		t.Fatal(err)
	}
	ca := "cosign-linux-" + runtime.GOARCH
	cosigns := t.TempDir()
	if err := os.MkdirAll(filepath.Join(cosigns, "v3.1.3"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(cosign, filepath.Join(cosigns, "v3.1.3", ca)); err != nil {
		t.Fatal(err)
	}
	actionPath := t.TempDir()
	writeTree(t, actionPath, map[string]string{"checksums/cosign-v3.1.3.txt": sum(cosignBin) + "  " + ca + "\n"})
	in := install{t: t, actionPath: actionPath, toolCache: t.TempDir(), releases: serve(t, releases), cosign: serve(t, cosigns)}
	env := []string{"HOME=" + home, "STEVEDORE_TEST_TRUSTED_ROOT=" + ss.TrustedRoot, "STEVEDORE_TEST_OIDC_ISSUER=" + ss.GitHubIssuer}
	run := func(kv ...string) result { return in.run(append(append([]string{}, env...), kv...)...) }

	r := run("ACTION_REF=v1.2.3")
	r.check(t, false, "verifying the release's signature instead", "checksums.txt of v1.2.3: signature verified",
		"matches the signed checksums.txt of v1.2.3", "stevedore version 1.2.3")
	if out, err := exec.Command(r.binPath(), "version", "--json").CombinedOutput(); err != nil || !strings.Contains(string(out), `"version": "1.2.3"`) {
		t.Errorf("the installed stevedore's version --json: %v\n%s", err, out)
	}
	// Pinned by commit with the input version: the certificate must name
	// that commit too.
	run("ACTION_REF="+sha, "STEVEDORE_VERSION=v1.2.3").check(t, false, "commit "+sha, "stevedore version 1.2.3")
	elsewhere := strings.Repeat("0a", 20)
	run("ACTION_REF="+elsewhere, "STEVEDORE_VERSION=v1.2.3").check(t, true, "does not verify as this repository's release workflow", "commit "+elsewhere, "GithubWorkflowSHA")

	// Each fails for its own reason, in the words of cosign v3.1.3.
	const identity = "https://github.com/" + repo + "/.github/workflows/"
	for _, tt := range []struct{ name, version, want, reason string }{
		{"tampered checksums.txt", "v1.3.0", "the signature of checksums.txt of stevedore v1.3.0 does not verify", "invalid signature"},
		{"tampered binary", "v1.3.1", "checksum mismatch for " + a + " of v1.3.1: the signed checksums.txt of v1.3.1 has " + sum(bin), "signature verified"},
		{"another workflow", "v1.3.2", "the signature of checksums.txt of stevedore v1.3.2 does not verify", `got "` + identity + `ci.yml@refs/tags/v1.3.2"`},
		{"another tag", "v1.3.3", "the signature of checksums.txt of stevedore v1.3.3 does not verify", `got "` + identity + `release.yml@refs/tags/v1.2.3"`},
		{"not a tag push", "v1.3.4", "the signature of checksums.txt of stevedore v1.3.4 does not verify", `expected GithubWorkflowTrigger to be "push", got "workflow_dispatch"`},
		{"a fork", "v1.3.5", "the signature of checksums.txt of stevedore v1.3.5 does not verify", `got "https://github.com/someone/stevedore/.github/workflows/release.yml@refs/tags/v1.3.5"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in.t = t
			r := run("ACTION_REF=" + tt.version)
			r.check(t, true, tt.want, tt.reason)
			if _, err := os.Stat(filepath.Join(in.toolCache, "stevedore", strings.TrimPrefix(tt.version, "v"))); err == nil {
				t.Errorf("%s was put in the tool cache", tt.version)
			}
		})
	}
}
