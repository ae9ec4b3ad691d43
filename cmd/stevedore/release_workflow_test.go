package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/internal/cosigntest"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/internal/sigstoretest"
	"github.com/sreevishnu07/stevedore/sign"
)

// releaseWorkflowUnderAct is .github/workflows/release.yml with the steps
// that need GitHub itself replaced, each by the smallest stand-in that
// keeps the rest of the workflow as it is:
//   - actions/checkout: a copy of the test's repository (act's host mode has
//     no network), which has a bare repository as origin, so the last step's
//     pushes really happen;
//   - actions/setup-go: dropped, the host's Go builds;
//   - cosign-installer: the cosign v3 CLI of this machine on PATH, and
//     sign-blob told the local Sigstore's signing config, trusted root and a
//     token for the release workflow's identity ($STEVEDORE_TEST_COSIGN_FLAGS);
//   - attest-build-provenance: dropped (it posts to GitHub's attestations API);
//   - the image is pushed to the local registry (act names the repository
//     after its origin, here a local path), for linux/amd64 only (the
//     test builds that one platform), on a local base image with git
//     (image/Dockerfile's BASE; there is no network), signed with a key: the action's
//     keyless signing takes its token from GitHub's OIDC endpoint;
//   - gh release create: the same files copied to $RELEASES/TAG, which the
//     test serves as the release download site.
func releaseWorkflowUnderAct(t *testing.T, workflow string) string {
	t.Helper()
	w := workflow
	for _, r := range [][2]string{
		{"      - uses: actions/checkout@v4\n        with:\n          fetch-depth: 0   # the planner reads tags and commits\n",
			"      - run: cp -a \"$PROJECT/.\" .\n"},
		{"      - uses: actions/setup-go@v5\n        with:\n          go-version-file: go.mod\n", ""},
		{"      - uses: sigstore/cosign-installer@v4\n        with:\n          cosign-release: v3.0.6\n",
			"      - run: dirname \"$COSIGN3\" >> \"$GITHUB_PATH\"\n"},
		{"cosign sign-blob --yes ", "cosign sign-blob --yes $STEVEDORE_TEST_COSIGN_FLAGS "},
		{"      - name: SLSA provenance of every asset\n        uses: actions/attest-build-provenance@v2\n        with:\n          subject-checksums: dist/release/checksums.txt\n", ""},
		{"cp dist/release/stevedore_linux_amd64 dist/release/stevedore_linux_arm64 image/", "cp dist/release/stevedore_linux_amd64 image/"},
		{"destinations: ghcr.io/${{ github.repository }}", "destinations: ${{ env.REGISTRY }}/sreevishnu07/stevedore"},
		{"platforms: linux/amd64,linux/arm64", "platforms: linux/amd64\n          build-args: BASE=${{ env.REGISTRY }}/base/git:test"},
		{"          sign: keyless\n", "          key: ${{ secrets.COSIGN_KEY }}\n          cosign-password: ${{ secrets.COSIGN_PW }}\n"},
		{"gh release create \"$GITHUB_REF_NAME\" --notes-file dist/release/NOTES.md \\\n", "mkdir -p \"$RELEASES/$GITHUB_REF_NAME\" && cp dist/release/NOTES.md \\\n"},
		{"dist/release/*.sigstore.json\n", "dist/release/*.sigstore.json \"$RELEASES/$GITHUB_REF_NAME/\"\n"},
	} {
		if strings.Count(w, r[0]) != 1 {
			t.Fatalf("release.yml has %d times %q: update the test's substitutions with the workflow", strings.Count(w, r[0]), r[0])
		}
		w = strings.Replace(w, r[0], r[1], 1)
	}
	for _, gh := range []string{"uses: actions/", "uses: sigstore/", "gh release", "ghcr.io/${{"} {
		if strings.Contains(w, gh) {
			t.Fatalf("the workflow under act still has %q:\n%s", gh, w)
		}
	}
	return w
}

// TestReleaseWorkflowWithAct runs stevedore's release workflow with act on
// a push of the tag v1.2.3 of a copy of this repository, then installs the
// release it produced through the action's download step both ways (the
// checksums the workflow pinned in the repository, and the keyless
// signature of checksums.txt), and runs the installed binary.
func TestReleaseWorkflowWithAct(t *testing.T) {
	if testing.Short() {
		t.Skip("builds stevedore several times under act; skipped with -short")
	}
	if _, err := exec.LookPath("act"); err != nil {
		t.Skip("act is not on PATH; install it with: GOBIN=/usr/local/bin go install github.com/nektos/act@v0.2.89")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed; the action's download step needs it")
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("the workflow under act builds the linux/amd64 release only")
	}
	cosign := cosigntest.V3(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	workflow, err := os.ReadFile(filepath.Join(root, ".github", "workflows", "release.yml"))
	if err != nil {
		t.Fatal(err)
	}

	// The repository: this source tree as a v1.2.2 and a fix released as
	// v1.2.3, pushed to a bare origin.
	project := gitRepo(t)
	copySourceTree(t, root, project)
	writeFiles(t, project, map[string]string{".github/workflows/release.yml": releaseWorkflowUnderAct(t, string(workflow))})
	git(t, project, "add", ".")
	git(t, project, "commit", "-q", "-m", "feat: stevedore")
	git(t, project, "tag", "v1.2.2")
	writeFiles(t, project, map[string]string{"image/README": "the image's context\n"})
	git(t, project, "add", ".")
	git(t, project, "commit", "-q", "-m", "fix: the release under act")
	git(t, project, "tag", "v1.2.3")
	commit := git(t, project, "rev-parse", "HEAD")
	origin := filepath.Join(t.TempDir(), "origin.git")
	git(t, project, "init", "-q", "--bare", origin)
	git(t, project, "remote", "add", "origin", origin)
	git(t, project, "push", "-q", "origin", "main", "v1.2.2", "v1.2.3")

	event := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(event, []byte(`{"ref": "refs/tags/v1.2.3", "repository": {"full_name": "sreevishnu07/stevedore", "name": "stevedore", "owner": {"login": "sreevishnu07"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	ss := sigstoretest.Start(t)
	wf := sigstoretest.GitHubWorkflow{Repository: "sreevishnu07/stevedore", Workflow: "release.yml", Ref: "refs/tags/v1.2.3", SHA: commit, EventName: "push"}
	const password = "release-pw-51c2"
	privPEM, pubPEM, err := sign.GenerateKeys([]byte(password))
	if err != nil {
		t.Fatal(err)
	}
	reg := registrytest.InProcess(t)
	gitBase(t, reg+"/base/git:test")
	releases, results := t.TempDir(), t.TempDir()
	runAct(t, project, results, reg, "-W", ".github/workflows/release.yml", "-e", event,
		"-s", "COSIGN_KEY="+string(privPEM), "-s", "COSIGN_PW="+password,
		"--env", "RELEASES="+releases, "--env", "COSIGN3="+cosign,
		"--env", "STEVEDORE_TEST_COSIGN_FLAGS=--signing-config "+ss.SigningConfig+" --trusted-root "+ss.TrustedRoot+" --identity-token "+ss.GitHubToken(t, wf),
		"--env", "HOME="+t.TempDir(), "--env", "PLATFORMS=linux/amd64", "--env", "KMS=0")

	// The release: the binary, checksums.txt, a bundle for each, notes.
	rel := filepath.Join(releases, "v1.2.3")
	asset := "stevedore_linux_amd64"
	sums := readFile(t, filepath.Join(rel, "checksums.txt"))
	bin := readFile(t, filepath.Join(rel, asset))
	binSum := sha256.Sum256([]byte(bin))
	if want := hex.EncodeToString(binSum[:]) + "  " + asset + "\n"; sums != want {
		t.Errorf("checksums.txt = %q, want %q", sums, want)
	}
	for _, f := range []string{asset + ".sigstore.json", "checksums.txt.sigstore.json"} {
		readFile(t, filepath.Join(rel, f))
	}
	if notes := readFile(t, filepath.Join(rel, "NOTES.md")); !strings.Contains(notes, "the release under act") {
		t.Errorf("NOTES.md lacks the fix since v1.2.2:\n%s", notes)
	}
	// The last step pinned the sums on main and moved the floating v1.
	if got := git(t, project, "--git-dir", origin, "show", "main:checksums/v1.2.3.txt"); got+"\n" != sums {
		t.Errorf("origin main pins %q, the release has %q", got, sums)
	}
	if tagged, main := git(t, project, "--git-dir", origin, "rev-parse", "v1^{commit}"), git(t, project, "--git-dir", origin, "rev-parse", "main"); tagged != main {
		t.Errorf("v1 is %s, main (with the pin) is %s", tagged, main)
	}

	// The image: stevedore's binary as the entrypoint, signed.
	ref, err := name.ParseReference(reg + "/sreevishnu07/stevedore:1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(ref)
	if err != nil {
		t.Fatalf("the workflow pushed no %s: %v", ref, err)
	}
	digest, _ := img.Digest()
	if cf, err := img.ConfigFile(); err != nil || strings.Join(cf.Config.Entrypoint, " ") != "/usr/local/bin/stevedore" {
		t.Errorf("config %v (%v), want the entrypoint /usr/local/bin/stevedore", cf, err)
	}
	if got := imageFiles(img)["usr/local/bin/stevedore"]; got != bin {
		t.Errorf("the image's stevedore (%d bytes) is not the released %s (%d bytes)", len(got), asset, len(bin))
	}
	v, err := sign.LoadVerifier(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sign.Verify(context.Background(), ref.Context().Digest(digest.String()), sign.WithKey(v)); err != nil {
		t.Errorf("the image's signature does not verify: %v", err)
	}

	// Installed through the action: pinned (uses: …@v1 at the moved tag)
	// and by signature (uses: …@v1.2.3 before any pin).
	srv := httptest.NewServer(http.FileServer(http.Dir(releases)))
	t.Cleanup(srv.Close)
	atV1 := t.TempDir()
	git(t, atV1, "clone", "-q", "--branch", "v1", origin, ".")
	pinnedEnv := []string{"ACTION_REF=v1", "STEVEDORE_TEST_DOWNLOAD_URL=" + srv.URL}
	out, installed, err := getStevedore(t, atV1, pinnedEnv...)
	if err != nil {
		t.Fatalf("installing v1: %v\n%s", err, out)
	}
	for _, want := range []string{"matches the checksum pinned in the action", "stevedore version 1.2.3"} {
		if !strings.Contains(out, want) {
			t.Errorf("the pinned install's log lacks %q:\n%s", want, out)
		}
	}
	cosigns := t.TempDir()
	ca := "cosign-linux-" + runtime.GOARCH
	writeFiles(t, cosigns, map[string]string{"v3.1.3/" + ca: readFile(t, cosign)})
	cosignSum := sha256.Sum256([]byte(readFile(t, cosign)))
	noPins := t.TempDir()
	writeFiles(t, noPins, map[string]string{"checksums/cosign-v3.1.3.txt": hex.EncodeToString(cosignSum[:]) + "  " + ca + "\n"})
	cs := httptest.NewServer(http.FileServer(http.Dir(cosigns)))
	t.Cleanup(cs.Close)
	signedEnv := []string{"ACTION_REF=v1.2.3", "STEVEDORE_TEST_DOWNLOAD_URL=" + srv.URL, "STEVEDORE_TEST_COSIGN_URL=" + cs.URL,
		"STEVEDORE_TEST_TRUSTED_ROOT=" + ss.TrustedRoot, "STEVEDORE_TEST_OIDC_ISSUER=" + ss.GitHubIssuer}
	out, signed, err := getStevedore(t, noPins, signedEnv...)
	if err != nil {
		t.Fatalf("installing v1.2.3: %v\n%s", err, out)
	}
	for _, want := range []string{"checksums.txt of v1.2.3: signature verified", "matches the signed checksums.txt of v1.2.3"} {
		if !strings.Contains(out, want) {
			t.Errorf("the signed install's log lacks %q:\n%s", want, out)
		}
	}
	// Both run, and say which release they are.
	for _, b := range []string{installed, signed} {
		out, err := exec.Command(b, "version", "--json").Output()
		if err != nil {
			t.Fatalf("%s version --json: %v", b, err)
		}
		var info struct{ Version, Commit string }
		if err := json.Unmarshal(out, &info); err != nil || info.Version != "1.2.3" || info.Commit != commit {
			t.Errorf("%s version --json = %s (%v), want version 1.2.3 and commit %s", b, out, err, commit)
		}
	}

	// The asset replaced on the download site: both ways refuse it (each
	// install starts with an empty tool cache).
	writeFiles(t, rel, map[string]string{asset: bin + "tampered"})
	for dir, kv := range map[string][]string{atV1: pinnedEnv, noPins: signedEnv} {
		out, _, err := getStevedore(t, dir, kv...)
		if err == nil || !strings.Contains(out, "checksum mismatch for "+asset) {
			t.Errorf("%s: a tampered %s installed (%v):\n%s", kv[0], asset, err, out)
		}
	}
}

// imageFiles is the flattened file system of img: path → content.
func imageFiles(img v1.Image) map[string]string {
	files := map[string]string{}
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for h, err := tr.Next(); err == nil; h, err = tr.Next() {
		b, _ := io.ReadAll(tr)
		files[strings.TrimPrefix(h.Name, "/")] = string(b)
	}
	return files
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// getStevedore runs the action's download step as action.yml does, with
// the action's files at actionPath, and returns its log and the installed
// binary's path (the step's output), or the step's failure.
func getStevedore(t *testing.T, actionPath string, kv ...string) (log, path string, err error) {
	t.Helper()
	tmp := t.TempDir()
	outputs := filepath.Join(tmp, "outputs")
	cmd := exec.Command("bash", filepath.Join("..", "..", ".github", "action", "get-stevedore.sh"))
	cmd.Env = append(os.Environ(), "RUNNER_OS=Linux", "RUNNER_ARCH=X64", "RUNNER_TEMP="+tmp, "RUNNER_TOOL_CACHE="+t.TempDir(),
		"GITHUB_OUTPUT="+outputs, "GITHUB_PATH="+filepath.Join(tmp, "path"), "ACTION_PATH="+actionPath,
		"STEVEDORE_VERSION=", "INPUT_KMS=", "INPUT_KEY=", "INSTALL_ONLY=", "HOME="+tmp,
		"STEVEDORE_TEST_TRUSTED_ROOT=", "STEVEDORE_TEST_OIDC_ISSUER=", "STEVEDORE_TEST_COSIGN_URL=")
	cmd.Env = append(cmd.Env, kv...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), "", err
	}
	sc := bufio.NewScanner(bytes.NewReader([]byte(readFile(t, outputs))))
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "path="); ok {
			return string(out), p, nil
		}
	}
	t.Fatalf("get-stevedore.sh set no path:\n%s", out)
	return "", "", nil
}
