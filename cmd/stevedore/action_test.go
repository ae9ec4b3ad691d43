package main

import (
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
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// actWorkflow uses the action the way a repository would, after copying the
// action's source (for its `go build` fallback: there is no network to
// download a release from) and the project to release into the workspace,
// which act's host mode starts empty.
const actWorkflow = `name: release
on: push
permissions:
  contents: read
  packages: write
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - name: Copy the action and the project into the workspace
        run: |
          rm -rf example
          cp -a "$SRC/." .
          mkdir example && cp -a "$PROJECT/." example/
      - id: stevedore
        uses: ./
        with:
          working-directory: example
          image-name: app
          destinations: |
            ${{ env.REGISTRY }}/acme/app
            oci:dist/app
          tags: |
            type=raw,value=edge
            type=semver,pattern={{version}}
          platforms: linux/amd64
          labels: |
            org.opencontainers.image.title=from-the-action
            # comments and blank lines are skipped

            com.example.team=release
          annotations: com.example.note=annotated
          cosign-password: ${{ secrets.COSIGN_PW }}
      - name: Save the outputs
        env:
          OUTPUTS: ${{ toJSON(steps.stevedore.outputs) }}
        run: |
          printf '%s' "$OUTPUTS" > "$RESULTS/outputs.json"
`

// TestActionWithAct runs action.yml with nektos/act on this machine (host
// mode, no Docker) against an in-process registry, and checks the action's
// outputs, the step summary, the registry and the secret masking.
func TestActionWithAct(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a whole workflow with act; skipped with -short")
	}
	act, err := exec.LookPath("act")
	if err != nil {
		t.Skip("act is not on PATH; install it with: GOBIN=/usr/local/bin go install github.com/nektos/act@v0.2.89")
	}
	if out, err := exec.Command(act, "--version").CombinedOutput(); err != nil {
		t.Skipf("act cannot run here: %v\n%s", err, out)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	copySourceTree(t, root, src)

	project := gitRepo(t)
	for n, c := range map[string]string{
		"Dockerfile":                    "FROM scratch\nCOPY hello.txt /\n",
		"hello.txt":                     "hello from the action test\n",
		".github/workflows/release.yml": actWorkflow,
	} {
		p := filepath.Join(project, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(t, project, "add", ".")
	git(t, project, "commit", "-q", "-m", "feat: first")

	reg := registrytest.InProcess(t)
	results := t.TempDir()
	const password = "s3cret-pw-9f1c"
	// The job's Go uses this test's caches: the fallback build is then an
	// incremental one.
	goenv := map[string]string{}
	for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPROXY", "GOPATH"} {
		out, err := exec.Command("go", "env", k).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", k, err)
		}
		goenv[k] = strings.TrimSpace(string(out))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := []string{"push", "-P", "ubuntu-latest=-self-hosted", "-W", ".github/workflows/release.yml",
		"--env", "SRC=" + src, "--env", "PROJECT=" + project, "--env", "RESULTS=" + results, "--env", "REGISTRY=" + reg,
		"--env", "XDG_CACHE_HOME=" + t.TempDir(), "--env", "GOFLAGS=-mod=mod",
		"-s", "COSIGN_PW=" + password}
	for k, v := range goenv {
		args = append(args, "--env", k+"="+v)
	}
	cmd := exec.CommandContext(ctx, act, args...)
	cmd.Dir = project
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	start := time.Now()
	err = cmd.Run()
	t.Logf("act ran for %s", time.Since(start).Round(time.Second))
	if err != nil {
		t.Fatalf("act: %v\n%s", err, log.String())
	}
	if testing.Verbose() {
		t.Logf("act output:\n%s", log.String())
	}

	if strings.Contains(log.String(), password) {
		t.Errorf("the cosign password appears in the log")
	}
	for _, want := range []string{"building stevedore from", "::group::build app"} {
		if !strings.Contains(log.String(), want) && !strings.Contains(log.String(), strings.TrimPrefix(want, "::group::")) {
			t.Errorf("log lacks %q", want)
		}
	}

	data, err := os.ReadFile(filepath.Join(results, "outputs.json"))
	if err != nil {
		t.Fatalf("outputs: %v\n%s", err, log.String())
	}
	var outs map[string]string
	if err := json.Unmarshal(data, &outs); err != nil {
		t.Fatalf("outputs: %v\n%s", err, data)
	}
	version, digest := outs["version"], outs["digest"]
	if version == "" || !strings.HasPrefix(digest, "sha256:") {
		t.Fatalf("outputs: %s", data)
	}
	tags := strings.Split(outs["tag-names"], "\n")
	if !slices.Contains(tags, "edge") || !slices.Contains(tags, version) {
		t.Errorf("tag-names output = %q, want edge and %s among them", outs["tag-names"], version)
	}
	// tags holds full references, as metadata-action's output.
	for _, w := range []string{reg + "/acme/app:edge", reg + "/acme/app:" + version, "oci:dist/app:" + version} {
		if !slices.Contains(strings.Split(outs["tags"], "\n"), w) {
			t.Errorf("tags output = %q, want a line %s", outs["tags"], w)
		}
	}
	var ledger struct {
		Images []struct {
			Digest string `json:"digest"`
		} `json:"images"`
	}
	if err := json.Unmarshal([]byte(outs["json"]), &ledger); err != nil || len(ledger.Images) != 1 || ledger.Images[0].Digest != digest {
		t.Errorf("json output = %q (%v), want the ledger with digest %s", outs["json"], err, digest)
	}
	wantRefs := []string{reg + "/acme/app@" + digest, "oci:dist/app@" + digest}
	for _, w := range wantRefs {
		if !strings.Contains(outs["image-refs"], w) {
			t.Errorf("image-refs = %q, want a line %s", outs["image-refs"], w)
		}
	}
	if outs["ledger"] == "" || outs["sbom-files"] == "" || !strings.Contains(outs["verify-commands"], digest) {
		t.Errorf("outputs: %s", data)
	}
	if !strings.Contains(outs["released"], "true") {
		t.Errorf("released = %q", outs["released"])
	}

	// Tags point at the released digest, and the signature verifies with
	// the key the action created.
	for _, tag := range tags {
		ref, _ := name.ParseReference(reg + "/acme/app:" + tag)
		desc, err := remote.Head(ref)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if desc.Digest.String() != digest {
			t.Errorf("%s is %s, the action said %s", ref, desc.Digest, digest)
		}
	}
	// The labels input lands in the config, over the computed OCI keys,
	// and the annotations input on the manifest.
	pushed, _ := name.ParseReference(reg + "/acme/app@" + digest)
	img, err := remote.Image(pushed)
	if err != nil {
		t.Fatalf("%s: %v", pushed, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"org.opencontainers.image.title": "from-the-action", "com.example.team": "release", "org.opencontainers.image.version": tags[0]} {
		if cf.Config.Labels[k] != v {
			t.Errorf("config label %s = %q, want %q (labels %v)", k, cf.Config.Labels[k], v, cf.Config.Labels)
		}
	}
	if m.Annotations["com.example.note"] != "annotated" || m.Annotations["org.opencontainers.image.revision"] == "" {
		t.Errorf("manifest annotations = %v, want com.example.note=annotated and the revision", m.Annotations)
	}
	sigTag, _ := name.ParseReference(reg + "/acme/app:" + strings.Replace(digest, ":", "-", 1) + ".sig")
	if _, err := remote.Head(sigTag); err != nil {
		t.Errorf("no signature at %s: %v", sigTag, err)
	}

	// act hands every step a fresh $GITHUB_STEP_SUMMARY and prints what a
	// step wrote to it as "Summary - …" in the log.
	_, summary, ok := strings.Cut(log.String(), "⚙  Summary - ")
	if !ok {
		t.Fatalf("the action wrote no step summary")
	}
	summary, _, _ = strings.Cut(summary, "[release/release]")
	for _, want := range []string{"| app |", digest[:19], version} {
		if !strings.Contains(summary, want) {
			t.Errorf("step summary lacks %q:\n%s", want, summary)
		}
	}
}

// copySourceTree copies the files git knows of (tracked, and new ones not
// ignored: build output and keys stay out), or everything when root is not
// a git checkout.
func copySourceTree(t *testing.T, root, dst string) {
	t.Helper()
	var files []string
	if out, err := exec.Command("git", "-C", root, "ls-files", "-co", "--exclude-standard", "-z").Output(); err == nil {
		for _, f := range strings.Split(string(out), "\x00") {
			if f != "" {
				files = append(files, f)
			}
		}
	} else {
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			if d.IsDir() && (rel == ".git" || rel == "dist" || rel == ".stevedore") {
				return filepath.SkipDir
			}
			if d.Type().IsRegular() {
				files = append(files, rel)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		from := filepath.Join(root, f)
		fi, err := os.Lstat(from)
		if err != nil || !fi.Mode().IsRegular() {
			continue // deleted in the work tree, or a symlink
		}
		to := filepath.Join(dst, f)
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		in, err := os.Open(from)
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, fi.Mode().Perm())
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.Copy(out, in)
		in.Close()
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestActionGetBinary runs the action's first step the way the runner does
// (bash, with the RUNNER_* and GITHUB_* variables) against a local release
// server: a download is used only when it matches the checksums pinned in
// the action's own checksums/ directory, floating refs resolve to the
// highest pinned version, a tampered asset or checksums.txt fails the step
// with no fallback, and non-release refs build from source.
func TestActionGetBinary(t *testing.T) {
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed; the action's download step needs it (.ci/run installs curl)", tool)
		}
	}
	script, err := filepath.Abs("../../.github/action/get-stevedore.sh")
	if err != nil {
		t.Fatal(err)
	}
	asset := []byte("#!/bin/sh\necho stevedore version downloaded\n")
	sum := sha256.Sum256(asset)
	good := "aaaa  stevedore_darwin_arm64\n" + hex.EncodeToString(sum[:]) + "  stevedore_linux_amd64\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1.2.3/stevedore_linux_amd64", "/v1.2.4/stevedore_linux_amd64":
			w.Write(asset)
		case "/v1.2.5/stevedore_linux_amd64":
			w.Write(append(asset, "# tampered\n"...))
		case "/v1.2.3/checksums.txt", "/v1.2.5/checksums.txt":
			io.WriteString(w, good)
		case "/v1.2.4/checksums.txt":
			io.WriteString(w, strings.Repeat("0", 64)+"  stevedore_linux_amd64\n")
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	// A tiny module stands in for the action's source tree, so the
	// source build takes a second; checksums/ is what the release pins.
	actionPath := t.TempDir()
	for n, c := range map[string]string{
		"go.mod":                "module example.com/fake\n\ngo 1.22\n",
		"cmd/stevedore/main.go": "package main\n\nimport \"fmt\"\n\nvar buildVersion = \"dev\"\n\nfunc main() { fmt.Println(\"stevedore version built\", buildVersion) }\n",
		"checksums/v1.2.3.txt":  good,
		"checksums/v1.2.4.txt":  good,
		"checksums/v1.2.5.txt":  good,
		"checksums/v0.9.0.txt":  good,
	} {
		p := filepath.Join(actionPath, n)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	toolCache := t.TempDir()
	tests := []struct {
		name, version string
		fail          bool
		want          string
	}{
		{"release asset", "v1.2.3", false, "matches the checksum pinned in the action"},
		{"again from the tool cache", "v1.2.3", false, "stevedore v1.2.3 from the tool cache"},
		{"tampered checksums.txt", "v1.2.4", true, "differs from the one this action pins"},
		{"tampered asset", "v1.2.5", true, "::error title=stevedore::checksum mismatch"},
		{"release not pinned", "v2.0.0", true, "pins no checksums"},
		{"pinned but not published", "v0.9.0", true, "does not build from source"},
		{"branch ref", "main", false, "stevedore version built main"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := t.TempDir()
			outFile := filepath.Join(tmp, "output")
			cmd := exec.Command("bash", script)
			cmd.Env = append(os.Environ(), "RUNNER_OS=Linux", "RUNNER_ARCH=X64", "RUNNER_TEMP="+tmp, "RUNNER_TOOL_CACHE="+toolCache, "GITHUB_OUTPUT="+outFile,
				"STEVEDORE_VERSION=", "ACTION_REF="+tt.version, "ACTION_PATH="+actionPath, "STEVEDORE_DOWNLOAD_URL="+srv.URL, "GOFLAGS=-mod=mod")
			out, err := cmd.CombinedOutput()
			if (err != nil) != tt.fail {
				t.Fatalf("err = %v, want failure %v\n%s", err, tt.fail, out)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, out)
			}
			if tt.fail && strings.Contains(string(out), "built") {
				t.Errorf("a failed check fell back to building:\n%s", out)
			}
			outputs, _ := os.ReadFile(outFile)
			if tt.fail && len(outputs) != 0 {
				t.Errorf("a failed check still set the path: %q", outputs)
			}
			if !tt.fail && !strings.HasPrefix(string(outputs), "path=") {
				t.Errorf("GITHUB_OUTPUT = %q", outputs)
			}
		})
	}
	// A floating major resolves to the highest version the action pins,
	// and install-only puts it on PATH.
	tmp := t.TempDir()
	env := append(os.Environ(), "RUNNER_OS=Linux", "RUNNER_ARCH=X64", "RUNNER_TEMP="+tmp, "RUNNER_TOOL_CACHE="+toolCache,
		"GITHUB_OUTPUT="+filepath.Join(tmp, "out"), "GITHUB_PATH="+filepath.Join(tmp, "path"), "INSTALL_ONLY=true",
		"STEVEDORE_VERSION=", "ACTION_REF=v1", "ACTION_PATH="+actionPath, "STEVEDORE_DOWNLOAD_URL="+srv.URL)
	cmd := exec.Command("bash", script)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	// v1 → v1.2.5, the highest pinned, whose asset is tampered: it fails.
	if err == nil || !strings.Contains(string(out), "of v1.2.5") {
		t.Errorf("@v1: err %v, want the v1.2.5 download to fail its check\n%s", err, out)
	}
	os.Remove(filepath.Join(actionPath, "checksums/v1.2.5.txt"))
	os.Remove(filepath.Join(actionPath, "checksums/v1.2.4.txt"))
	cmd = exec.Command("bash", script)
	cmd.Env = env
	out, err = cmd.CombinedOutput()
	path, _ := os.ReadFile(filepath.Join(tmp, "path"))
	if err != nil || !strings.Contains(string(out), "stevedore v1.2.3 from the tool cache") || strings.TrimSpace(string(path)) != filepath.Join(toolCache, "stevedore/1.2.3/amd64") {
		t.Errorf("@v1 install-only: err %v, GITHUB_PATH %q\n%s", err, path, out)
	}
}

// TestActionReleaseArgs runs the action's second step with a stand-in
// stevedore that prints its arguments: inputs become flags, and secrets
// stay in the environment.
func TestActionReleaseArgs(t *testing.T) {
	script, err := filepath.Abs("../../.github/action/release.sh")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	stub := filepath.Join(tmp, "stevedore")
	if err := os.WriteFile(stub, []byte("#!/bin/bash\nprintf '<%s>' \"$@\"; echo\necho \"key=${STEVEDORE_SIGNING_KEY:0:10} pw=$COSIGN_PASSWORD token=${GITHUB_TOKEN-unset} pwd=$PWD\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(tmp, "work")
	os.MkdirAll(work, 0o755)
	cmd := exec.Command("bash", script)
	cmd.Env = append(os.Environ(), "STEVEDORE="+stub, "GITHUB_TOKEN=",
		"INPUT_WORKING_DIRECTORY="+work, "INPUT_IMAGE_NAME=app",
		"INPUT_DESTINATIONS=  ghcr.io/o/app\n\noci:dist/app  \n", "INPUT_TAGS=type=sha\ntype=raw,value=edge\n",
		"INPUT_PLATFORMS=linux/amd64,\nlinux/arm64\n", "INPUT_SIGN=key",
		"INPUT_KEY=-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nabc\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----",
		"INPUT_COSIGN_PASSWORD=pw1", "INPUT_PUSH=False", "INPUT_SNAPSHOT=true", "INPUT_DRY_RUN=false", "INPUT_GIT_TAG=",
		"INPUT_BUILDER=tcp://buildkit:1234")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := "<release><--image-name><app><--destination><ghcr.io/o/app><--destination><oci:dist/app><--tags><type=sha\ntype=raw,value=edge\n>" +
		"<--platform><linux/amd64,linux/arm64><--sign><key><--key><env://STEVEDORE_SIGNING_KEY><--builder><tcp://buildkit:1234><--push=false><--snapshot>\n" +
		"key=-----BEGIN pw=pw1 token=unset pwd=" + work + "\n"
	if got := string(out[strings.Index(string(out), "<release>"):]); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if strings.Contains(string(out), "abc") {
		t.Errorf("the key reached the command line or the log:\n%s", out)
	}
	bad := exec.Command("bash", script)
	bad.Env = append(cmd.Env, "INPUT_PUSH=maybe")
	if out, err := bad.CombinedOutput(); err == nil || !strings.Contains(string(out), "input push is 'maybe'") {
		t.Errorf("a bad boolean input: %v\n%s", err, out)
	}
}
