package actions_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// These tests run the action's shell steps (.github/action/*.sh) with bash,
// with the RUNNER_* and GITHUB_* variables the runner sets, against a local
// HTTP server standing in for the release downloads of stevedore and cosign.

// script is the absolute path of one of the action's step scripts.
func script(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", ".github", "action", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed; the action's download step needs it (.ci/run installs curl)", tool)
		}
	}
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// writeTree writes files (path → content) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for n, c := range files {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// standIn is a tiny executable standing in for a release binary: it prints
// which one it is.
func standIn(name string) string {
	return "#!/bin/sh\necho stevedore version " + name + "\n"
}

// install runs get-stevedore.sh as action.yml's first step does. kv are
// extra environment variables (NAME=VALUE); the runner's are set from dirs
// of the test. It returns the combined output, the error and the step's
// outputs file.
type install struct {
	t                     *testing.T
	actionPath, toolCache string
	releases, cosign      string // base URLs
}

type result struct {
	out, outputs, path string
	err                error
}

func (in install) run(kv ...string) result {
	t := in.t
	t.Helper()
	tmp := t.TempDir()
	outFile, pathFile := filepath.Join(tmp, "output"), filepath.Join(tmp, "path")
	cmd := exec.Command("bash", script(t, "get-stevedore.sh"))
	cmd.Env = append(os.Environ(), "RUNNER_OS=Linux", "RUNNER_ARCH="+runnerArch(), "RUNNER_TEMP="+tmp, "RUNNER_TOOL_CACHE="+in.toolCache,
		"GITHUB_OUTPUT="+outFile, "GITHUB_PATH="+pathFile, "ACTION_PATH="+in.actionPath,
		"STEVEDORE_VERSION=", "ACTION_REF=", "INPUT_KMS=", "INPUT_KEY=", "INSTALL_ONLY=",
		"STEVEDORE_TEST_DOWNLOAD_URL="+in.releases, "STEVEDORE_TEST_COSIGN_URL="+in.cosign, "STEVEDORE_TEST_TRUSTED_ROOT=", "STEVEDORE_TEST_OIDC_ISSUER=", "GOFLAGS=-mod=mod")
	cmd.Env = append(cmd.Env, kv...)
	out, err := cmd.CombinedOutput()
	outputs, _ := os.ReadFile(outFile)
	path, _ := os.ReadFile(pathFile)
	return result{out: string(out), outputs: string(outputs), path: strings.TrimSpace(string(path)), err: err}
}

// check fails the test unless the step failed (or not) as wanted and its
// log has want. A failed step must set no path and must not have built.
func (r result) check(t *testing.T, fail bool, want ...string) {
	t.Helper()
	if (r.err != nil) != fail {
		t.Fatalf("err = %v, want failure %v\n%s", r.err, fail, r.out)
	}
	for _, w := range want {
		if !strings.Contains(r.out, w) {
			t.Errorf("output lacks %q:\n%s", w, r.out)
		}
	}
	if fail {
		if strings.Contains(r.out, "building stevedore") {
			t.Errorf("a failed check fell back to building:\n%s", r.out)
		}
		if r.outputs != "" {
			t.Errorf("a failed check still set the path: %q", r.outputs)
		}
	} else if !strings.HasPrefix(r.outputs, "path=") {
		t.Errorf("GITHUB_OUTPUT = %q", r.outputs)
	}
}

// binPath is the installed binary's path from the step's output.
func (r result) binPath() string {
	return strings.TrimSpace(strings.TrimPrefix(r.outputs, "path="))
}

func runnerArch() string {
	if runtime.GOARCH == "arm64" {
		return "ARM64"
	}
	return "X64"
}

// serve serves dir as a release download site: DIR/TAG/ASSET.
func serve(t *testing.T, dir string) string {
	t.Helper()
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	return srv.URL
}

// fakeSource is a tiny module standing in for the action's source tree, so
// a source build takes a second; the stevedore_kms tag is visible in what
// it prints.
var fakeSource = map[string]string{
	"go.mod":                "module example.com/fake\n\ngo 1.22\n",
	"cmd/stevedore/main.go": "package main\n\nimport \"fmt\"\n\nvar buildVersion = \"dev\"\n\nvar kms = \"\"\n\nfunc main() { fmt.Println(\"stevedore version built\", buildVersion+kms) }\n",
	"cmd/stevedore/kms.go":  "//go:build stevedore_kms\n\npackage main\n\nfunc init() { kms = \" with kms\" }\n",
}

// TestInstallPinnedSums covers the first way the action verifies a
// download: the sums pinned in its own checksums/. Floating refs resolve to
// the highest pinned version, a tampered asset or checksums.txt fails the
// step with no fallback, and non-release refs build from source.
func TestInstallPinnedSums(t *testing.T) {
	needTools(t, "bash", "curl")
	asset := standIn("downloaded")
	good := "aaaa  stevedore_darwin_arm64\n" + sum([]byte(asset)) + "  stevedore_linux_" + runtime.GOARCH + "\n"
	a := "stevedore_linux_" + runtime.GOARCH
	releases := t.TempDir()
	writeTree(t, releases, map[string]string{
		"v1.2.3/" + a: asset, "v1.2.3/checksums.txt": good,
		"v1.2.4/" + a: asset, "v1.2.4/checksums.txt": strings.Repeat("0", 64) + "  " + a + "\n",
		"v1.2.5/" + a: asset + "# tampered\n", "v1.2.5/checksums.txt": good,
	})
	actionPath := t.TempDir()
	writeTree(t, actionPath, fakeSource)
	writeTree(t, actionPath, map[string]string{
		"checksums/v1.2.3.txt": good, "checksums/v1.2.4.txt": good, "checksums/v1.2.5.txt": good, "checksums/v0.9.0.txt": good,
	})
	in := install{t: t, actionPath: actionPath, toolCache: t.TempDir(), releases: serve(t, releases)}
	tests := []struct {
		name, version string
		fail          bool
		want          string
	}{
		{"release asset", "v1.2.3", false, "matches the checksum pinned in the action"},
		{"again from the tool cache", "v1.2.3", false, "stevedore v1.2.3 from the tool cache"},
		{"tampered checksums.txt", "v1.2.4", true, "differs from the one this action pins"},
		{"tampered asset", "v1.2.5", true, "::error title=stevedore::checksum mismatch for " + a + " of v1.2.5"},
		{"floating ref with no pins", "v2", true, "pins no checksums for a release v2"},
		{"pinned but not published", "v0.9.0", true, "does not build from source"},
		{"branch ref", "main", false, "stevedore version built main"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in.t = t
			r := in.run("ACTION_REF=" + tt.version)
			r.check(t, tt.fail, tt.want)
		})
	}
	in.t = t
	// A floating major resolves to the highest version the action pins,
	// v1.2.5, whose asset is tampered: it fails.
	r := in.run("ACTION_REF=v1", "INSTALL_ONLY=true")
	r.check(t, true, "of v1.2.5")
	// Without it v1 is v1.2.3, from the tool cache, and install-only puts
	// it on PATH.
	os.Remove(filepath.Join(actionPath, "checksums/v1.2.5.txt"))
	os.Remove(filepath.Join(actionPath, "checksums/v1.2.4.txt"))
	r = in.run("ACTION_REF=v1", "INSTALL_ONLY=true")
	r.check(t, false, "stevedore v1.2.3 from the tool cache")
	if want := filepath.Join(in.toolCache, "stevedore/1.2.3", runtime.GOARCH); r.path != want {
		t.Errorf("GITHUB_PATH = %q, want %q", r.path, want)
	}
	// The input version wins over the action's ref.
	r = in.run("ACTION_REF=main", "STEVEDORE_VERSION=v1.2.3")
	r.check(t, false, "stevedore v1.2.3 from the tool cache")
}

// distRelease builds stevedore's release assets for this machine with
// .ci/dist.sh, the script the release workflow runs, into dir/vVERSION.
func distRelease(t *testing.T, dir, version string, kms bool) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: building the release binary with .ci/dist.sh takes a while")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the test release is built for a Linux runner")
	}
	needTools(t, "git", "go")
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "v"+version)
	cmd := exec.Command("bash", filepath.Join(root, ".ci", "dist.sh"), version)
	cmd.Dir = root
	kmsBuild := "0"
	if kms {
		kmsBuild = "1"
	}
	cmd.Env = append(os.Environ(), "DIST="+out, "PLATFORMS=linux/"+runtime.GOARCH, "KMS="+kmsBuild)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf(".ci/dist.sh: %v\n%s", err, b)
	}
	return out
}

// TestInstallDistRelease installs a release built by .ci/dist.sh and
// verified by pinned sums, and runs it: the binary the action puts in the
// tool cache is the release build, with its version and commit stamped in,
// and a KMS key input gets the build that has the KMS providers.
func TestInstallDistRelease(t *testing.T) {
	needTools(t, "bash", "curl")
	releases := t.TempDir()
	dist := distRelease(t, releases, "1.2.3", true)
	sums, err := os.ReadFile(filepath.Join(dist, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	actionPath := t.TempDir()
	writeTree(t, actionPath, map[string]string{"checksums/v1.2.3.txt": string(sums)})
	in := install{t: t, actionPath: actionPath, toolCache: t.TempDir(), releases: serve(t, releases)}
	r := in.run("ACTION_REF=v1.2.3")
	r.check(t, false, "matches the checksum pinned in the action", "stevedore version 1.2.3")
	out, err := exec.Command(r.binPath(), "version", "--json").CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"version": "1.2.3"`) {
		t.Errorf("the installed stevedore's version --json: %v\n%s", err, out)
	}
	// Loading a hashivault:// key (no Vault here) shows which build runs:
	// the default one lacks the provider, the KMS one reaches it.
	loadVaultKey := func(bin string) string {
		cmd := exec.Command(bin, "sign", "oci:"+filepath.Join(t.TempDir(), "none")+"@sha256:"+strings.Repeat("0", 64), "--key", "hashivault://k")
		cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "VAULT_ADDR=http://127.0.0.1:1", "VAULT_TOKEN=", "BAO_TOKEN=")
		out, _ := cmd.CombinedOutput()
		return string(out)
	}
	if out := loadVaultKey(r.binPath()); !strings.Contains(out, "KMS provider not linked") {
		t.Errorf("the default build loading a hashivault:// key: want the provider missing, got\n%s", out)
	}
	r = in.run("ACTION_REF=v1.2.3", "INPUT_KEY=hashivault://k")
	r.check(t, false, "using the stevedore_kms build", "stevedore_kms_linux_"+runtime.GOARCH+": sha256")
	if out := loadVaultKey(r.binPath()); !strings.Contains(out, "loading KMS key hashivault://k") || strings.Contains(out, "not linked") {
		t.Errorf("the KMS build loading a hashivault:// key: want Vault's provider to answer, got\n%s", out)
	}
	// The same build, replaced on the release page by another, fails.
	a := filepath.Join(dist, "stevedore_linux_"+runtime.GOARCH)
	f, err := os.OpenFile(a, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("appended")
	f.Close()
	in.toolCache = t.TempDir()
	in.run("ACTION_REF=v1.2.3").check(t, true, "checksum mismatch for stevedore_linux_"+runtime.GOARCH)
}

// TestInstallCosignPins covers what path 2 (an exact version with no pins)
// checks before any signature: cosign itself must match the action's
// committed checksums/cosign-vA.B.C.txt, and a signature that does not
// verify fails the step naming what was wanted.
func TestInstallCosignPins(t *testing.T) {
	needTools(t, "bash", "curl")
	a := "stevedore_linux_" + runtime.GOARCH
	ca := "cosign-linux-" + runtime.GOARCH
	asset := standIn("downloaded")
	sums := sum([]byte(asset)) + "  " + a + "\n"
	fakeCosign := "#!/bin/sh\necho \"Error: none of the expected identities matched what was in the certificate, got subjects [https://github.com/someone/else]\" >&2\nexit 1\n"
	releases, cosigns := t.TempDir(), t.TempDir()
	writeTree(t, releases, map[string]string{"v1.3.0/" + a: asset, "v1.3.0/checksums.txt": sums, "v1.3.0/checksums.txt.sigstore.json": "{}"})
	writeTree(t, cosigns, map[string]string{
		"v3.9.0/" + ca: fakeCosign,
		"v3.9.1/" + ca: fakeCosign + "# tampered\n",
	})
	actionPath := t.TempDir()
	in := install{t: t, actionPath: actionPath, toolCache: t.TempDir(), releases: serve(t, releases), cosign: serve(t, cosigns)}

	in.run("ACTION_REF=v1.3.0").check(t, true, "no checksums/cosign-vA.B.C.txt")
	in.run("ACTION_REF=v1.4.0").check(t, true, "downloading checksums.txt and checksums.txt.sigstore.json of v1.4.0")

	writeTree(t, actionPath, map[string]string{"checksums/cosign-v3.9.0.txt": "abcd  cosign-plan9-amd64\n"})
	in.run("ACTION_REF=v1.3.0").check(t, true, "pins no checksum for "+ca)

	// The highest pinned cosign is the one used; its download must match.
	writeTree(t, actionPath, map[string]string{
		"checksums/cosign-v3.9.0.txt": sum([]byte(fakeCosign)) + "  " + ca + "\n",
		"checksums/cosign-v3.9.1.txt": sum([]byte(fakeCosign)) + "  " + ca + "\n",
	})
	in.run("ACTION_REF=v1.3.0").check(t, true, "checksum mismatch for "+ca+" of cosign v3.9.1: the action pins "+sum([]byte(fakeCosign)))

	// cosign refusing the signature fails the step with what was required
	// and cosign's reason; nothing is installed.
	os.Remove(filepath.Join(actionPath, "checksums/cosign-v3.9.1.txt"))
	r := in.run("ACTION_REF=v1.3.0")
	r.check(t, true, "the signature of checksums.txt of stevedore v1.3.0 does not verify as this repository's release workflow",
		"workflow https://github.com/sreevishnu07/stevedore/.github/workflows/release.yml@refs/tags/v1.3.0, issuer https://token.actions.githubusercontent.com",
		"none of the expected identities matched")
	if _, err := os.Stat(filepath.Join(in.toolCache, "stevedore")); err == nil {
		t.Errorf("a release whose signature failed was put in the tool cache")
	}
	// The verified cosign is kept in the tool cache for the next step.
	if b, err := os.ReadFile(filepath.Join(in.toolCache, "cosign/3.9.0", runtime.GOARCH, "cosign")); err != nil || string(b) != fakeCosign {
		t.Errorf("cosign in the tool cache: %v %q", err, b)
	}
}

// TestInstallCommittedCosignPins checks the cosign pins the action ships:
// one version, a sha256 for every platform stevedore releases for, in
// sha256sum's format under cosign's release asset names.
func TestInstallCommittedCosignPins(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "checksums", "cosign-v*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no checksums/cosign-v*.txt: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for i, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			h, name, ok := strings.Cut(line, "  ")
			if _, err := hex.DecodeString(h); !ok || err != nil || len(h) != 64 {
				t.Errorf("%s:%d: %q is not `SHA256  NAME`", f, i+1, line)
			}
			got[name] = h
		}
		for _, p := range []string{"linux-amd64", "linux-arm64", "darwin-amd64", "darwin-arm64", "windows-amd64.exe"} {
			if got["cosign-"+p] == "" {
				t.Errorf("%s pins no cosign-%s", f, p)
			}
		}
	}
}

// TestInstallKMSBuild covers which build the action installs: the default
// one, or stevedore_kms_* (the cloud KMS providers) with kms: true or, with
// kms: auto, when the key input is a KMS URI.
func TestInstallKMSBuild(t *testing.T) {
	needTools(t, "bash", "curl")
	goos := "linux_" + runtime.GOARCH
	plain, kms := standIn("plain"), standIn("kms")
	sums := sum([]byte(plain)) + "  stevedore_" + goos + "\n" + sum([]byte(kms)) + "  stevedore_kms_" + goos + "\n"
	releases := t.TempDir()
	writeTree(t, releases, map[string]string{"v1.2.3/stevedore_" + goos: plain, "v1.2.3/stevedore_kms_" + goos: kms, "v1.2.3/checksums.txt": sums})
	actionPath := t.TempDir()
	writeTree(t, actionPath, fakeSource)
	writeTree(t, actionPath, map[string]string{"checksums/v1.2.3.txt": sums})
	in := install{t: t, actionPath: actionPath, toolCache: t.TempDir(), releases: serve(t, releases)}
	const pem = "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nc2VjcmV0\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----"
	tests := []struct {
		kms, key, want string
	}{
		{"", "", "stevedore version plain"},
		{"auto", "cosign.key", "stevedore version plain"},
		{"", pem, "stevedore version plain"},
		{"", "env://COSIGN_KEY", "stevedore version plain"},
		{"", "awskms:///arn:aws:kms:us-east-1:1:key/k", "stevedore version kms"},
		{"auto", "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k", "stevedore version kms"},
		{"", "azurekms://vault.vault.azure.net/k", "stevedore version kms"},
		{"", "hashivault://transit-key", "stevedore version kms"},
		{"false", "awskms:///alias/k", "stevedore version plain"},
		{"True", "", "stevedore version kms"},
		{"true", "cosign.key", "stevedore version kms"},
		// Only the scheme counts, not a mention of one.
		{"", "file-awskms://x", "stevedore version plain"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("kms=%q key=%.12q", tt.kms, tt.key), func(t *testing.T) {
			in.t = t
			r := in.run("ACTION_REF=v1.2.3", "INPUT_KMS="+tt.kms, "INPUT_KEY="+tt.key)
			r.check(t, false, tt.want)
			dir := "stevedore"
			if strings.HasSuffix(tt.want, "kms") {
				dir = "stevedore-kms"
			}
			if want := filepath.Join(in.toolCache, dir, "1.2.3", runtime.GOARCH, "stevedore"); r.binPath() != want {
				t.Errorf("installed at %s, want %s (the two builds are cached apart)", r.binPath(), want)
			}
			if strings.Contains(r.out, "c2VjcmV0") {
				t.Errorf("the key reached the log:\n%s", r.out)
			}
		})
	}
	in.t = t
	in.run("ACTION_REF=v1.2.3", "INPUT_KMS=maybe").check(t, true, "input kms is 'maybe': want true, false or auto")
	// A source build takes the KMS providers' build tag.
	in.run("ACTION_REF=main", "INPUT_KEY=hashivault://k").check(t, false, "stevedore version built main with kms")
	in.run("ACTION_REF=main").check(t, false, "stevedore version built main\n")
	// A release that has no KMS build for the platform fails, naming it.
	writeTree(t, actionPath, map[string]string{"checksums/v1.2.3.txt": sum([]byte(plain)) + "  stevedore_" + goos + "\n"})
	in.toolCache = t.TempDir()
	in.run("ACTION_REF=v1.2.3", "INPUT_KMS=true").check(t, true, "pins no checksum for stevedore_kms_"+goos)
}

// TestReleaseBuilderTLSInputs runs the action's release step with a
// stand-in stevedore: the builder-tls-* inputs become --builder-tls-*
// flags; a file path is passed as it is, PEM contents go to a private file
// under RUNNER_TEMP that exists while stevedore runs and is removed after,
// whether stevedore succeeds or fails, and never reach the command line.
func TestReleaseBuilderTLSInputs(t *testing.T) {
	needTools(t, "bash")
	tmp := t.TempDir()
	runnerTemp := filepath.Join(tmp, "runner-temp")
	os.MkdirAll(runnerTemp, 0o755)
	stub := filepath.Join(tmp, "stevedore")
	// The stand-in prints its arguments, and for each --builder-tls-*
	// file its mode and the sha256 of its contents.
	writeTree(t, tmp, map[string]string{"stevedore": `#!/bin/bash
printf '<%s>' "$@"; echo
while [ $# -gt 0 ]; do
	case "$1" in --builder-tls-ca|--builder-tls-cert|--builder-tls-key)
		[ -f "$2" ] && echo "$1 mode=$(stat -c %a "$2") sha=$(sha256sum <"$2" | cut -d' ' -f1)"
		shift ;;
	esac
	shift
done
exit "${STUB_EXIT:-0}"
`})
	const cert = "-----BEGIN CERTIFICATE-----\nY2VydA==\n-----END CERTIFICATE-----"
	const key = "-----BEGIN EC PRIVATE KEY-----\nc2VjcmV0LWtleQ==\n-----END EC PRIVATE KEY-----"
	work := filepath.Join(tmp, "work")
	writeTree(t, work, map[string]string{"certs/ca.pem": "ca"})
	for _, exit := range []string{"0", "3"} {
		cmd := exec.Command("bash", script(t, "release.sh"))
		cmd.Env = append(os.Environ(), "STEVEDORE="+stub, "GITHUB_TOKEN=", "RUNNER_TEMP="+runnerTemp, "STUB_EXIT="+exit,
			"INPUT_WORKING_DIRECTORY="+work, "INPUT_BUILDER=tcp://buildkit:1234",
			"INPUT_BUILDER_TLS_CA=certs/ca.pem", "INPUT_BUILDER_TLS_CERT="+cert, "INPUT_BUILDER_TLS_KEY="+key,
			"INPUT_BUILDER_TLS_SERVER_NAME=buildkit.internal")
		out, err := cmd.CombinedOutput()
		if exit == "0" && err != nil || exit != "0" && (err == nil || cmd.ProcessState.ExitCode() != 3) {
			t.Fatalf("stevedore exiting %s: the step's err = %v\n%s", exit, err, out)
		}
		s := string(out)
		args := s[strings.Index(s, "<release>"):]
		for _, want := range []string{
			"<--builder><tcp://buildkit:1234><--builder-tls-ca><certs/ca.pem><--builder-tls-cert><" + runnerTemp + "/stevedore-tls-cert.",
			"><--builder-tls-key><" + runnerTemp + "/stevedore-tls-key.",
			"><--builder-tls-server-name><buildkit.internal>",
			"--builder-tls-ca mode=755 sha=" + sum([]byte("ca")),
			"--builder-tls-cert mode=600 sha=" + sum([]byte(cert+"\n")),
			"--builder-tls-key mode=600 sha=" + sum([]byte(key+"\n")),
		} {
			if !strings.Contains(args, want) {
				t.Errorf("stevedore exiting %s: the step's log lacks %q:\n%s", exit, want, s)
			}
		}
		if strings.Contains(s, "c2VjcmV0") || strings.Contains(s, "Y2VydA") {
			t.Errorf("PEM contents reached the command line or the log:\n%s", s)
		}
		if left, _ := os.ReadDir(runnerTemp); len(left) != 0 {
			t.Errorf("stevedore exiting %s: %d TLS files left in RUNNER_TEMP", exit, len(left))
		}
	}
	// Without the inputs there are no TLS flags.
	cmd := exec.Command("bash", script(t, "release.sh"))
	cmd.Env = append(os.Environ(), "STEVEDORE="+stub, "GITHUB_TOKEN=", "RUNNER_TEMP="+runnerTemp, "INPUT_WORKING_DIRECTORY="+work,
		"INPUT_BUILDER_TLS_CA=", "INPUT_BUILDER_TLS_CERT=", "INPUT_BUILDER_TLS_KEY=", "INPUT_BUILDER_TLS_SERVER_NAME=")
	if out, err := cmd.CombinedOutput(); err != nil || strings.Contains(string(out), "tls") {
		t.Errorf("no TLS inputs: %v\n%s", err, out)
	}
}

// TestInstallMatchesReleaseWorkflow keeps the identity the install step
// requires in step with the workflow that signs releases: the file
// .github/workflows/release.yml, run on a push of a v* tag, signing
// checksums.txt into checksums.txt.sigstore.json and publishing the bundles.
func TestInstallMatchesReleaseWorkflow(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", ".github", "workflows", "release.yml"))
	if err != nil {
		t.Fatalf("the install step requires a signature from .github/workflows/release.yml: %v", err)
	}
	var wf struct {
		On struct {
			Push struct {
				Tags []string `yaml:"tags"`
			} `yaml:"push"`
		} `yaml:"on"`
		Permissions map[string]string `yaml:"permissions"`
	}
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatal(err)
	}
	if len(wf.On.Push.Tags) != 1 || wf.On.Push.Tags[0] != "v*" {
		t.Errorf("release.yml runs on push tags %q; the install step requires trigger push of refs/tags/vX.Y.Z", wf.On.Push.Tags)
	}
	if wf.Permissions["id-token"] != "write" {
		t.Errorf("release.yml lacks permissions: id-token: write, so it cannot sign keyless")
	}
	s := string(b)
	for _, want := range []string{"checksums.txt", "cosign sign-blob", "--bundle", ".sigstore.json"} {
		if !strings.Contains(s, want) {
			t.Errorf("release.yml lacks %q: the install step downloads checksums.txt.sigstore.json, the bundle of cosign sign-blob --bundle, from the release", want)
		}
	}
	sh, err := os.ReadFile(script(t, "get-stevedore.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(sh), `identity="https://github.com/$repo/.github/workflows/release.yml@refs/tags/$ref"`) {
		t.Errorf("get-stevedore.sh no longer requires the identity of .github/workflows/release.yml")
	}
}
