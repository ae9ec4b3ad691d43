package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// TestImageReleasesAProject builds stevedore's own image the way
// release.yml does (the .ci/dist.sh binary in image/, built and pushed by
// stevedore), runs it in the reference Docker engine on a sample project
// mounted at /src, its WORKDIR, as another user than the project's owner,
// and checks that the digest the image's
// `stevedore release` wrote in its ledger is what the registry serves.
func TestImageReleasesAProject(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the release binary and runs it in Docker; skipped with -short")
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("the image is built for linux/amd64 here")
	}
	host := os.Getenv("STEVEDORE_TEST_DOCKER_HOST")
	if host == "" {
		if _, err := os.Stat("/var/run/stevedore-docker.sock"); err != nil {
			t.Skip("no reference Docker engine; start one with .ci/docker.sh (or set STEVEDORE_TEST_DOCKER_HOST)")
		}
		host = "unix:///var/run/stevedore-docker.sock"
	}
	docker := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("/usr/bin/docker", append([]string{"-H", host}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	if out, err := exec.Command("/usr/bin/docker", "-H", host, "version").CombinedOutput(); err != nil {
		t.Skipf("the Docker engine at %s does not answer (start it with .ci/docker.sh): %v\n%s", host, err, out)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}

	// image/ of this tree with the release build of linux/amd64 beside its
	// Dockerfile, as the release workflow puts it there.
	repo := gitRepo(t)
	writeFiles(t, repo, map[string]string{
		"image/Dockerfile": readFile(t, filepath.Join(root, "image", "Dockerfile")),
		".gitignore":       readFile(t, filepath.Join(root, ".gitignore")),
	})
	git(t, repo, "add", ".")
	git(t, repo, "commit", "-q", "-m", "feat: the image")
	dist := filepath.Join(repo, "image")
	built := t.TempDir()
	build := exec.Command("bash", filepath.Join(root, ".ci", "dist.sh"), "0.0.0-image")
	build.Env = append(os.Environ(), "PLATFORMS=linux/amd64", "KMS=0", "DIST="+built)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf(".ci/dist.sh: %v\n%s", err, out)
	}
	writeFiles(t, dist, map[string]string{"stevedore_linux_amd64": readFile(t, filepath.Join(built, "stevedore_linux_amd64"))})
	if err := os.Chmod(filepath.Join(dist, "stevedore_linux_amd64"), 0o755); err != nil {
		t.Fatal(err)
	}

	reg := registrytest.InProcess(t)
	base := gitBase(t, reg+"/base/git:test")
	r := stevedore(t, map[string]string{"INPUT_BUILD_ARGS": "BASE=" + base}, "", "release", "--action-inputs", "--dir", repo, "--image-name", "stevedore", "--context", "image",
		"--destination", reg+"/sreevishnu07/stevedore", "--tag-rule", "type=raw,value=under-test",
		"--platform", "linux/amd64", "--sign", "none", "--ledger", "")
	if r.code != 0 {
		t.Fatalf("releasing the image: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// dockerd pulls from a 127.0.0.1 registry over plain HTTP by default.
	image := reg + "/sreevishnu07/stevedore:under-test"
	docker("pull", "-q", image)
	t.Cleanup(func() { _ = exec.Command("/usr/bin/docker", "-H", host, "rmi", "-f", image).Run() })

	// The sample project, released from inside the image: host networking
	// reaches the test's registry (the engine has no bridge), the project is
	// the image's WORKDIR /src.
	sample := gitRepo(t)
	writeFiles(t, sample, map[string]string{
		"Dockerfile": "FROM scratch\nCOPY hello.txt /\n",
		"hello.txt":  "released by stevedore's image\n",
	})
	git(t, sample, "add", ".")
	git(t, sample, "commit", "-q", "-m", "feat: sample")
	git(t, sample, "tag", "v0.1.0")
	// A user other than the checkout's owner, as in CI runners that mount
	// the workspace: git reads the repository only because the image makes
	// it a safe.directory.
	ledgerDir := t.TempDir()
	if err := os.Chmod(ledgerDir, 0o777); err != nil {
		t.Fatal(err)
	}
	log := docker("run", "--rm", "--user", "65532:65532", "--network", "host", "-v", sample+":/src", "-v", ledgerDir+":/out", "--tmpfs", "/tmp",
		image, "release", "--image-name", "sample", "--destination", reg+"/acme/sample", "--platform", "linux/amd64",
		"--sign", "none", "--ledger", "/out/release.json")
	var ledger struct {
		Version string `json:"version"`
		Images  []struct {
			Digest string `json:"digest"`
		} `json:"images"`
	}
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(ledgerDir, "release.json"))), &ledger); err != nil || len(ledger.Images) != 1 {
		t.Fatalf("the ledger of the release in the image: %v %+v\n%s", err, ledger, log)
	}
	ref, err := name.ParseReference(reg + "/acme/sample:0.1.0")
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(ref)
	if err != nil {
		t.Fatalf("%s: %v\n%s", ref, err, log)
	}
	if desc.Digest.String() != ledger.Images[0].Digest {
		t.Errorf("%s is %s; the release in the image says it pushed %s\n%s", ref, desc.Digest, ledger.Images[0].Digest, log)
	}
	img, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	if got := imageFiles(img)["hello.txt"]; got != "released by stevedore's image\n" {
		t.Errorf("the sample image's /hello.txt = %q", got)
	}
}

// gitBase pushes to ref a linux/amd64 base image holding this machine's git
// and the shared libraries it needs (as ldd lists them), standing in for the
// image's default base, which has no copy here.
func gitBase(t *testing.T, ref string) string {
	t.Helper()
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git is not installed")
	}
	out, err := exec.Command("ldd", gitBin).Output()
	if err != nil {
		t.Skipf("ldd %s: %v", gitBin, err)
	}
	files := []string{gitBin}
	for _, l := range strings.Split(string(out), "\n") {
		for _, f := range strings.Fields(l) {
			if strings.HasPrefix(f, "/") {
				files = append(files, f)
			}
		}
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := tw.WriteHeader(&tar.Header{Name: strings.TrimPrefix(f, "/"), Mode: 0o755, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	layer, err := tarball.LayerFromReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	img, err = mutate.ConfigFile(img, &v1.ConfigFile{OS: "linux", Architecture: "amd64",
		Config: v1.Config{Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}}, RootFS: v1.RootFS{Type: "layers"}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	return ref
}
