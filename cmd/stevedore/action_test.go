package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/actions"
	"github.com/sreevishnu07/stevedore/internal/ghacachetest"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/internal/testutil"
	"github.com/sreevishnu07/stevedore/sign"
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
          # In CI stevedore makes no key (nobody could verify it after the
          # runner is gone): it signs with the key the repository keeps.
          key: ${{ secrets.COSIGN_KEY }}
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
	project := gitRepo(t)
	writeFiles(t, project, map[string]string{
		"Dockerfile":                    "FROM scratch\nCOPY hello.txt /\n",
		"hello.txt":                     "hello from the action test\n",
		".github/workflows/release.yml": actWorkflow,
	})
	git(t, project, "add", ".")
	git(t, project, "commit", "-q", "-m", "feat: first")

	reg := registrytest.InProcess(t)
	results := t.TempDir()
	const password = "s3cret-pw-9f1c"
	privPEM, pubPEM, err := sign.GenerateKeys([]byte(password))
	if err != nil {
		t.Fatal(err)
	}
	log := runAct(t, project, results, reg, "-W", ".github/workflows/release.yml", "-s", "COSIGN_PW="+password, "-s", "COSIGN_KEY="+string(privPEM))

	if strings.Contains(log, password) {
		t.Errorf("the cosign password appears in the log")
	}
	for _, want := range []string{"building stevedore from", "::group::build app"} {
		if !strings.Contains(log, want) && !strings.Contains(log, strings.TrimPrefix(want, "::group::")) {
			t.Errorf("log lacks %q", want)
		}
	}

	data, err := os.ReadFile(filepath.Join(results, "outputs.json"))
	if err != nil {
		t.Fatalf("outputs: %v\n%s", err, log)
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
	// ... made by the repository's key, so consumers can verify it.
	v, err := sign.LoadVerifier(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sign.Verify(context.Background(), pushed.Context().Digest(digest), sign.WithKey(v)); err != nil {
		t.Errorf("the signature does not verify with the repository's public key: %v", err)
	}

	// act hands every step a fresh $GITHUB_STEP_SUMMARY and prints what a
	// step wrote to it as "Summary - …" in the log.
	_, summary, ok := strings.Cut(log, "⚙  Summary - ")
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

// runAct runs a workflow of project with nektos/act in host mode (no
// Docker), with this checkout as the action's source ($SRC), the project
// ($PROJECT), a results directory ($RESULTS) and the registry ($REGISTRY)
// in the environment, and returns the log. It skips the test without act.
func runAct(t *testing.T, project, results, reg string, extra ...string) string {
	t.Helper()
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
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	args := []string{"push", "-P", "ubuntu-latest=-self-hosted",
		"--env", "SRC=" + src, "--env", "PROJECT=" + project, "--env", "RESULTS=" + results, "--env", "REGISTRY=" + reg,
		"--env", "XDG_CACHE_HOME=" + t.TempDir(), "--env", "GOFLAGS=-mod=mod"}
	for k, v := range goenv {
		args = append(args, "--env", k+"="+v)
	}
	cmd := exec.CommandContext(ctx, act, append(args, extra...)...)
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
	return log.String()
}

var writeFiles = testutil.WriteFiles

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
		"INPUT_DESTINATIONS=  ghcr.io/o/app\n\noci:dist/app  \n",
		// images (name=…,enable=…) is read by stevedore itself, not passed on.
		"INPUT_IMAGES=name=ghcr.io/o/other,enable=false\n", "INPUT_TAGS=type=sha\ntype=raw,value=edge\n", "INPUT_FLAVOR=latest=false\n",
		"INPUT_PLATFORMS=linux/amd64,\nlinux/arm64\n", "INPUT_SIGN=key",
		"INPUT_KEY=-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nabc\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----",
		"INPUT_COSIGN_PASSWORD=pw1", "INPUT_PUSH=False", "INPUT_SNAPSHOT=true", "INPUT_DRY_RUN=false", "INPUT_GIT_TAG=",
		"INPUT_BUILDER=tcp://buildkit:1234")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := "<release><--action-inputs><--image-name><app><--destination><ghcr.io/o/app><--destination><oci:dist/app><--tag-rule><type=sha\ntype=raw,value=edge\n><--flavor><latest=false\n>" +
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

// readOutputs parses $GITHUB_OUTPUT (or $GITHUB_ENV): NAME<<DELIM lines.
func readOutputs(t *testing.T, file string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		k, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			continue
		}
		var v []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			v = append(v, lines[i])
		}
		out[k] = strings.Join(v, "\n")
	}
	return out
}

var base64Run = regexp.MustCompile(`[A-Za-z0-9+/_-]{24,}={0,2}`)

// scanForSecrets fails the test if any file under dir, gunzipped where
// compressed, holds one of the secrets; the last string is a canary that
// must be found instead. It returns how many files held each string.
func scanForSecrets(t *testing.T, dir string, secrets []string) map[string]int {
	t.Helper()
	found := map[string]int{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if zr, zerr := gzip.NewReader(bytes.NewReader(data)); zerr == nil {
			if u, rerr := io.ReadAll(zr); rerr == nil {
				data = append(data, u...)
			}
		}
		// DSSE envelopes (attestations, bundles) hold their payload in
		// base64, and the payload may hold more.
		for range 2 {
			for _, run := range base64Run.FindAll(data, -1) {
				for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
					if d, err := enc.DecodeString(string(run)); err == nil {
						data = append(data, d...)
						break
					}
				}
			}
		}
		for i, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				found[s]++
				if i < len(secrets)-1 {
					t.Errorf("%s holds the secret %q", p, s)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// The action's build inputs, read with build-push-action's list rules:
// build-args, target, secrets (a quoted multi-line value too),
// secret-files, secret-envs and a registry cache-to; and its outputs in
// metadata-action's and build-push-action's formats. No secret reaches
// the log, the outputs, the image, its signatures and attestations, or the
// shared cache.
func TestActionBuildInputsAndOutputs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("RUN steps need root here (namespaces and overlayfs)")
	}
	base := registrytest.ServeBusybox(t)
	reg := registrytest.InProcess(t)
	dir := gitRepo(t, "commit feat: first")
	df := "FROM " + base + " AS build\nARG GREETING=none\nARG CANARY\n" +
		"RUN --mount=type=secret,id=tok --mount=type=secret,id=pem --mount=type=secret,id=file --mount=type=secret,id=envsec " +
		"sh -c 'for s in tok pem file envsec; do sha256sum /run/secrets/$s | cut -d\" \" -f1 > /$s.sum; done; echo \"$GREETING\" > /greeting'\n" +
		"FROM " + base + " AS other\nRUN echo other > /other\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	// A release builds only committed files (a dirty context is refused).
	git(t, dir, "add", "Dockerfile")
	git(t, dir, "commit", "-q", "-m", "feat: the Dockerfile")
	head := git(t, dir, "rev-parse", "HEAD")
	secretFile := filepath.Join(t.TempDir(), "file-secret")
	secrets := map[string]string{
		"tok":    "tok-s3cr3t-7c1e9a",
		"pem":    "pem-s3cr3t-a1\npem-s3cr3t-b2\n pem-s3cr3t-c3 ",
		"file":   "file-s3cr3t-44b2",
		"envsec": "env-s3cr3t-91d0",
	}
	if err := os.WriteFile(secretFile, []byte(secrets["file"]), 0o600); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	outFile, envFile, sumFile := filepath.Join(tmp, "output"), filepath.Join(tmp, "env"), filepath.Join(tmp, "summary")
	// A misspelt metadata-action switch in the job's environment is warned
	// about (the names come from the process environment).
	t.Setenv("DOCKER_METADATA_PR_HEAD_SHAA", "true")
	env := map[string]string{
		"XDG_CACHE_HOME": t.TempDir(), "COSIGN_PASSWORD": "pw", "GITHUB_ACTIONS": "true",
		"GITHUB_OUTPUT": outFile, "GITHUB_ENV": envFile, "GITHUB_STEP_SUMMARY": sumFile,
		"GITHUB_REPOSITORY": "acme/app", "GITHUB_SERVER_URL": "https://github.com",
		"INPUT_BUILD_ARGS":                   "GREETING=hello, world\nCANARY=prov-canary-5d1\n",
		"INPUT_TARGET":                       "build",
		"INPUT_SECRETS":                      "\"tok=" + secrets["tok"] + "\"\n\"pem=" + secrets["pem"] + "\"\n",
		"INPUT_SECRET_FILES":                 "file=" + secretFile,
		"INPUT_SECRET_ENVS":                  "envsec=MY_ENV_SECRET",
		"MY_ENV_SECRET":                      secrets["envsec"],
		"INPUT_CACHE_TO":                     "type=registry,ref=" + reg + "/acme/app:buildcache",
		"DOCKER_METADATA_ANNOTATIONS_LEVELS": "manifest,index",
	}
	// In CI stevedore signs only with a key it is given (or keyless).
	priv, _, err := sign.GenerateKeys([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "cosign.key")
	if err := os.WriteFile(keyFile, priv, 0o600); err != nil {
		t.Fatal(err)
	}
	r := stevedore(t, env, "", "release", "--dir", dir, "--action-inputs", "--image-name", "app", "--key", keyFile,
		"--destination", reg+"/acme/app", "--destination", "oci:dist/app", "--tag-rule", "type=raw,value=edge\ntype=semver,pattern={{version}}",
		"--label", "com.example.team=release", "--annotation", "com.example.note=annotated")
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "::warning title=stevedore::DOCKER_METADATA_PR_HEAD_SHAA is not a metadata-action setting") || !strings.Contains(r.stdout, `did you mean "DOCKER_METADATA_PR_HEAD_SHA"?`) {
		t.Errorf("no warning about the misspelt variable:\n%s", r.stdout)
	}

	// Secrets: masked for the runner, and nowhere else.
	var all []string
	for _, s := range secrets {
		all = append(all, strings.Split(s, "\n")...)
	}
	var log strings.Builder
	for _, l := range strings.Split(r.stdout, "\n") {
		if !strings.HasPrefix(l, "::add-mask::") {
			log.WriteString(l + "\n")
		}
	}
	for _, s := range []string{secrets["tok"], "pem-s3cr3t-b2", secrets["envsec"]} {
		if !strings.Contains(r.stdout, "::add-mask::"+s) {
			t.Errorf("%q is not masked", s)
		}
	}
	for _, s := range all {
		if strings.Contains(log.String(), s) || strings.Contains(r.stderr, s) {
			t.Errorf("the log holds the secret %q", s)
		}
	}
	for _, f := range []string{outFile, envFile, sumFile} {
		data, _ := os.ReadFile(f)
		for _, s := range all {
			if strings.Contains(string(data), s) {
				t.Errorf("%s holds the secret %q", filepath.Base(f), s)
			}
		}
	}
	// The layout (image, signatures, attestations), SBOMs, ledger. Only the
	// provenance holds the unused build argument CANARY: finding it shows
	// the scan read the provenance.
	if n := scanForSecrets(t, dir, append(all, "prov-canary-5d1")); n["prov-canary-5d1"] == 0 {
		t.Errorf("no file under %s holds the provenance (with the build argument); the scan missed it", dir)
	}

	outs := readOutputs(t, outFile)
	digest := outs["digest"]
	ref, _ := name.ParseReference(reg + "/acme/app@" + digest)
	img, err := remote.Image(ref)
	if err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	// target, build-args and the secrets reached the build.
	got := map[string]string{}
	rc := mutate.Extract(img)
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if b, err := io.ReadAll(tr); err == nil {
			got[strings.TrimPrefix(h.Name, "/")] = string(b)
		}
	}
	rc.Close()
	if got["greeting"] != "hello, world\n" {
		t.Errorf("/greeting = %q, want the build-args input's value", got["greeting"])
	}
	if _, ok := got["other"]; ok {
		t.Errorf("the image holds /other: the target input was not used")
	}
	for id, s := range secrets {
		sum := sha256.Sum256([]byte(s))
		if strings.TrimSpace(got[id+".sum"]) != hex.EncodeToString(sum[:]) {
			t.Errorf("secret %s in the build: sha256 %q, want %x", id, got[id+".sum"], sum)
		}
	}
	// The registry cache was written, and holds no secret either.
	cacheRef, _ := name.ParseReference(reg + "/acme/app:buildcache")
	cache, err := remote.Image(cacheRef)
	if err != nil {
		t.Errorf("no build cache at %s: %v", cacheRef, err)
	} else if ls, err := cache.Layers(); err == nil {
		for _, l := range ls {
			rc, err := l.Uncompressed()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			for _, s := range all {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("the build cache holds the secret %q", s)
				}
			}
		}
	}

	// Outputs in metadata-action's and build-push-action's formats.
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	configName, _ := img.ConfigName()
	if outs["imageid"] != configName.String() {
		t.Errorf("imageid = %q, want the config digest %s", outs["imageid"], configName)
	}
	wantLabels := actions.LabelLines(cf.Config.Labels)
	if outs["labels"] != wantLabels {
		t.Errorf("labels output:\n%s\nwant the image's labels:\n%s", outs["labels"], wantLabels)
	}
	version := outs["version"]
	for _, l := range []string{"com.example.team=release", "org.opencontainers.image.revision=" + head,
		"org.opencontainers.image.source=https://github.com/acme/app", "org.opencontainers.image.version=" + version} {
		if !slices.Contains(strings.Split(outs["labels"], "\n"), l) {
			t.Errorf("labels output lacks the line %s:\n%s", l, outs["labels"])
		}
	}
	wantAnn := actions.AnnotationLines(m.Annotations, []string{"manifest", "index"})
	if outs["annotations"] != wantAnn || !strings.Contains(outs["annotations"], "manifest:com.example.note=annotated\n") || !strings.Contains(outs["annotations"], "index:org.opencontainers.image.revision="+head) {
		t.Errorf("annotations output:\n%s\nwant the manifest's, per level:\n%s", outs["annotations"], wantAnn)
	}
	var doc struct {
		Tags     []string          `json:"tags"`
		TagNames []string          `json:"tag-names"`
		Labels   map[string]string `json:"labels"`
		Images   []struct {
			Digest string `json:"digest"`
		} `json:"images"`
	}
	if err := json.Unmarshal([]byte(outs["json"]), &doc); err != nil {
		t.Fatalf("json output: %v\n%s", err, outs["json"])
	}
	if !slices.Contains(doc.Tags, reg+"/acme/app:edge") || !slices.Contains(doc.TagNames, version) || doc.Labels["com.example.team"] != "release" || len(doc.Images) != 1 || doc.Images[0].Digest != digest {
		t.Errorf("json output: %s", outs["json"])
	}
	// metadata-action's outputs also reach later steps' environment.
	exported := readOutputs(t, envFile)
	if exported["DOCKER_METADATA_OUTPUT_LABELS"] != outs["labels"] || exported["DOCKER_METADATA_OUTPUT_TAG_NAMES"] != outs["tag-names"] || exported["DOCKER_METADATA_OUTPUT_VERSION"] != version {
		t.Errorf("GITHUB_ENV: %v", exported)
	}
}

// Bad action inputs name the input, and never print a secret value.
func TestActionBuildInputErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"secret without an id", map[string]string{"INPUT_SECRETS": "hunter2-value-only"}, "input secrets"},
		{"missing secret file", map[string]string{"INPUT_SECRET_FILES": "f=/nonexistent/secret"}, "input secret-files: secret f"},
		{"unset secret env", map[string]string{"INPUT_SECRET_ENVS": "s=NOT_SET_ANYWHERE"}, "NOT_SET_ANYWHERE is not set"},
		{"two cache-to", map[string]string{"INPUT_CACHE_TO": "r.example/a:c\nr.example/b:c"}, "input cache-to: 2 caches"},
		{"gha cache timeout", map[string]string{"INPUT_CACHE_FROM": "type=gha,timeout=soon"}, "type=gha: timeout=soon: want a duration"},
		{"local cache without dest", map[string]string{"INPUT_CACHE_TO": "type=local,src=/tmp/x"}, "type=local with src="},
		{"bad images line", map[string]string{"INPUT_IMAGES": "ghcr.io/a/b\nname=ghcr.io/a/c,enable=maybe"}, "input images, line 2: "},
		{"bad tag rule", map[string]string{}, "the action's tags input), line 2: invalid tag rule: unknown type \"semvr\""},
		{"bad flavor", map[string]string{}, "--flavor (the action's flavor input), line 2: invalid tag rule: unknown key \"prefx\""},
		{"bad annotation level", map[string]string{"DOCKER_METADATA_ANNOTATIONS_LEVELS": "manifest,indx"}, `unknown level "indx"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"XDG_CACHE_HOME": t.TempDir()}
			maps.Copy(env, tt.env)
			args := []string{"release", "--dir", dir, "--action-inputs", "--dry-run"}
			switch tt.name {
			case "bad tag rule":
				args = append(args, "--tags", "type=sha\ntype=semvr,pattern={{version}}")
			case "bad flavor":
				args = append(args, "--flavor", "latest=false\nprefx=v")
			}
			r := stevedore(t, env, "", args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, want %d and %q:\n%s", r.code, exitUsage, tt.want, r.stderr)
			}
			if strings.Contains(r.stdout+r.stderr, "hunter2-value-only") {
				t.Errorf("the secret value is printed:\n%s", r.stderr)
			}
		})
	}
}

// metadataWorkflow is the usual docker/metadata-action +
// docker/build-push-action workflow, kept here as the starting point of
// convertedWorkflow below.
const metadataWorkflow = `name: ci
on: push
jobs:
  docker:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Docker meta
        id: meta
        uses: docker/metadata-action@v5
        with:
          images: ${{ env.REGISTRY }}/acme/app
          tags: |
            type=ref,event=branch
            type=sha
          labels: |
            com.example.team=release
      - name: Build and push
        id: build
        uses: docker/build-push-action@v6
        with:
          context: .
          push: ${{ github.event_name != 'pull_request' }}
          build-args: GREETING=hello
          secrets: |
            "tok=${{ secrets.TOKEN }}"
          tags: ${{ steps.meta.outputs.tags }}
          labels: ${{ steps.meta.outputs.labels }}
          cache-from: type=gha
          cache-to: type=gha,mode=max
      - name: Save the outputs
        env:
          TAGS: ${{ steps.meta.outputs.tags }}
          LABELS: ${{ steps.meta.outputs.labels }}
          DIGEST: ${{ steps.build.outputs.digest }}
          IMAGEID: ${{ steps.build.outputs.imageid }}
        run: |
          printf '%s' "$TAGS" > "$RESULTS/tags"
          printf '%s' "$LABELS" > "$RESULTS/labels"
          printf '%s' "$DIGEST" > "$RESULTS/digest"
          printf '%s' "$IMAGEID" > "$RESULTS/imageid"
`

// convertWorkflow turns metadataWorkflow into stevedore's: the two steps
// become one, whose uses: line names stevedore (./ here, the action under
// test) and whose id is the metadata step's; the build step's inputs move
// under it, except tags and labels, which stevedore computes and applies
// itself; readers of steps.build.outputs read steps.meta.outputs. The
// checkout is replaced by a copy: act's host mode has no network.
func convertWorkflow(t *testing.T) string {
	t.Helper()
	w := metadataWorkflow
	for _, r := range [][2]string{
		{"      - uses: actions/checkout@v4\n", "      - run: cp -a \"$SRC/.\" . && mkdir -p example && cp -a \"$PROJECT/.\" example/\n"},
		{"        uses: docker/metadata-action@v5\n        with:\n", "        uses: ./\n        with:\n          working-directory: example\n          # build-push-action signs nothing; stevedore in CI asks to be told.\n          sign: none\n"},
		{"      - name: Build and push\n        id: build\n        uses: docker/build-push-action@v6\n        with:\n", ""},
		{"          tags: ${{ steps.meta.outputs.tags }}\n          labels: ${{ steps.meta.outputs.labels }}\n", ""},
		{"steps.build.outputs", "steps.meta.outputs"},
	} {
		if !strings.Contains(w, r[0]) {
			t.Fatalf("the workflow lacks %q", r[0])
		}
		w = strings.ReplaceAll(w, r[0], r[1])
	}
	return w
}

// TestActionConvertedWorkflow runs the converted metadata-action +
// build-push-action workflow with act, on a push to the branch dev of the
// repository in metadata-action's fixtures (octocat/Hello-World), and
// checks that its steps read the tags and labels metadata-action's push07
// case expects (__tests__/meta.test.ts; revision and created are this
// commit's), and build-push-action's digest and imageid.
func TestActionConvertedWorkflow(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("RUN steps need root here (namespaces and overlayfs)")
	}
	base := registrytest.ServeBusybox(t)
	reg := registrytest.InProcess(t)
	project := gitRepo(t)
	git(t, project, "checkout", "-q", "-b", "dev")
	git(t, project, "remote", "add", "origin", "https://github.com/octocat/Hello-World.git")
	writeFiles(t, project, map[string]string{
		"Dockerfile":               "FROM " + base + "\nARG GREETING\nRUN --mount=type=secret,id=tok sh -c 'sha256sum /run/secrets/tok | cut -c1-64 > /tok.sum; echo \"$GREETING\" > /greeting; echo $RANDOM$RANDOM > /nonce'\n",
		".github/workflows/ci.yml": convertWorkflow(t),
	})
	git(t, project, "add", ".")
	git(t, project, "commit", "-q", "-m", "feat: first")
	head := git(t, project, "rev-parse", "HEAD")
	event := filepath.Join(t.TempDir(), "event.json")
	payload := `{"ref": "refs/heads/dev", "after": "` + head + `", "head_commit": {"id": "` + head + `", "timestamp": "2026-01-02T03:04:05Z"},
	  "repository": {"name": "Hello-World", "full_name": "octocat/Hello-World", "html_url": "https://github.com/octocat/Hello-World",
	    "description": "This your first repo!", "license": {"spdx_id": "MIT"}, "default_branch": "master"}}`
	if err := os.WriteFile(event, []byte(payload), 0o644); err != nil {
		t.Fatal(err)
	}
	results := t.TempDir()
	const token = "tok-v4lue-from-secrets-3e8a"
	// act serves the cache service (its own, as for actions/cache) and
	// hands actions this runtime token; both runs share the service, and
	// each has a fresh stevedore cache directory (runAct's XDG_CACHE_HOME),
	// so the second run's steps can come only from type=gha.
	read := func(n string) string {
		b, err := os.ReadFile(filepath.Join(results, n))
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		return string(b)
	}
	runtimeToken := ghacachetest.NewToken(t)
	t.Setenv("ACTIONS_RUNTIME_TOKEN", runtimeToken)
	actArgs := []string{"-W", ".github/workflows/ci.yml", "-e", event, "-s", "TOKEN=" + token,
		"--cache-server-addr", "127.0.0.1", "--cache-server-path", t.TempDir()}
	log := runAct(t, project, results, reg, actArgs...)
	if !strings.Contains(log, "Success - Main Read the cache service's variables") {
		t.Errorf("the action did not run its step that reads the cache service's variables:\n%s", log)
	}
	// The RUN step writes a random /nonce: the second run's image is the
	// first's only if that step came from the cache.
	firstDigest := read("digest")
	second := runAct(t, project, results, reg, actArgs...)
	if d := read("digest"); d != firstDigest {
		t.Errorf("the second run built %s, the first %s: its RUN step did not come from the type=gha cache:\n%s", d, firstDigest, second)
	}
	for _, l := range []string{log, second} {
		if strings.Contains(l, token) {
			t.Errorf("the secret appears in the log")
		}
		if strings.Contains(l, runtimeToken) {
			t.Errorf("the runtime token appears in the log")
		}
	}
	wantTags := reg + "/acme/app:dev\n" + reg + "/acme/app:sha-" + head[:7]
	if got := read("tags"); got != wantTags {
		t.Errorf("steps.meta.outputs.tags:\n%s\nwant (metadata-action's push07):\n%s", got, wantTags)
	}
	wantLabels := strings.Join([]string{
		"com.example.team=release",
		"org.opencontainers.image.created=2026-01-02T03:04:05.000Z",
		"org.opencontainers.image.description=This your first repo!",
		"org.opencontainers.image.licenses=MIT",
		"org.opencontainers.image.revision=" + head,
		"org.opencontainers.image.source=https://github.com/octocat/Hello-World",
		"org.opencontainers.image.title=Hello-World",
		"org.opencontainers.image.url=https://github.com/octocat/Hello-World",
		"org.opencontainers.image.version=dev",
	}, "\n")
	if got := read("labels"); got != wantLabels {
		t.Errorf("steps.meta.outputs.labels:\n%s\nwant (metadata-action's push07):\n%s", got, wantLabels)
	}
	digest := read("digest")
	ref, _ := name.ParseReference(reg + "/acme/app:dev")
	img, err := remote.Image(ref)
	if err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	if d, _ := img.Digest(); d.String() != digest {
		t.Errorf("%s is %s, the digest output says %q", ref, d, digest)
	}
	if id, _ := img.ConfigName(); read("imageid") != id.String() {
		t.Errorf("imageid output %q, want the config digest %s", read("imageid"), id)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if got := actions.LabelLines(cf.Config.Labels); got != wantLabels {
		t.Errorf("the image's labels:\n%s\nwant:\n%s", got, wantLabels)
	}
	files := map[string]string{}
	rc := mutate.Extract(img)
	tr := tar.NewReader(rc)
	for h, err := tr.Next(); err == nil; h, err = tr.Next() {
		b, _ := io.ReadAll(tr)
		files[strings.TrimPrefix(h.Name, "/")] = string(b)
	}
	rc.Close()
	sum := sha256.Sum256([]byte(token))
	if files["greeting"] != "hello\n" || strings.TrimSpace(files["tok.sum"]) != hex.EncodeToString(sum[:]) {
		t.Errorf("build-args or secrets did not reach the build: greeting %q, tok.sum %q", files["greeting"], files["tok.sum"])
	}
}
