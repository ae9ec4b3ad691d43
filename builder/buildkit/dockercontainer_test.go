//go:build linux

package buildkit

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/sreevishnu07/stevedore/builder"
)

// The reference engine .ci/docker.sh starts, and Debian's client for it.
const (
	debianDocker      = "/usr/bin/docker"
	defaultDockerSock = "/var/run/stevedore-docker.sock"
)

// dockerEngine finds the reference Docker engine and makes it the one the
// docker-container:// connection helper reaches: BuildKit's helper runs
// `docker exec` from PATH with the process's DOCKER_HOST, as it does for a
// user. Without an engine the test skips.
func dockerEngine(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: a privileged buildkitd container needs root")
	}
	host := os.Getenv("STEVEDORE_TEST_DOCKER_HOST")
	if host == "" {
		if _, err := os.Stat(defaultDockerSock); err != nil {
			t.Skip("skipping: no reference Docker engine; start one with .ci/docker.sh (or set STEVEDORE_TEST_DOCKER_HOST)")
		}
		host = "unix://" + defaultDockerSock
	}
	if _, err := os.Stat(debianDocker); err != nil {
		t.Skipf("skipping: no docker client at %s; run .ci/docker.sh", debianDocker)
	}
	if out, err := exec.Command(debianDocker, "-H", host, "version").CombinedOutput(); err != nil {
		t.Skipf("skipping: the Docker engine at %s does not answer (start it with .ci/docker.sh): %v\n%s", host, err, out)
	}
	bin := t.TempDir()
	if err := os.Symlink(debianDocker, filepath.Join(bin, "docker")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("DOCKER_HOST", host)
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	return host
}

func docker(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("docker", args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("docker %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(stdout.String()), nil
}

// buildkitImage is a container image of the oracle's own buildkitd and
// buildctl (static binaries) with Debian's runc and the shared libraries
// runc loads, as the moby/buildkit image would hold them. No such image can
// be pulled here, so the test makes its own from the binaries CI builds.
func buildkitImage(t *testing.T) v1.Image {
	t.Helper()
	buildctl := buildctlPath(t)
	buildkitd := filepath.Join(filepath.Dir(buildctl), "buildkitd")
	if _, err := os.Stat(buildkitd); err != nil {
		t.Skipf("skipping: no buildkitd next to %s; build BuildKit v0.29 with .ci/oracles.sh", buildctl)
	}
	runc, err := exec.LookPath("runc")
	if err != nil {
		t.Skip("skipping: no runc on PATH; install Debian's runc")
	}
	files := map[string]string{"usr/bin/buildkitd": buildkitd, "usr/bin/buildctl": buildctl, "usr/sbin/runc": runc}
	out, err := exec.Command("ldd", runc).Output()
	if err != nil {
		t.Fatalf("ldd %s: %v", runc, err)
	}
	for _, m := range regexp.MustCompile(`(?m)(?:=>\s*)?(/\S+)\s+\(0x`).FindAllStringSubmatch(string(out), -1) {
		files[strings.TrimPrefix(m[1], "/")] = m[1]
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	addDir := func(dir string, mode int64) {
		for d := dir; d != "." && !dirs[d]; d = filepath.Dir(d) {
			dirs[d] = true
			defer tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: mode})
		}
	}
	addFile := func(path string, mode int64, data []byte) {
		addDir(filepath.Dir(path), 0o755)
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: path, Mode: mode, Size: int64(len(data))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	addDir("tmp", 0o1777)
	addDir("run", 0o755)
	addDir("var/lib/buildkit", 0o700)
	for path, src := range files {
		data, err := os.ReadFile(src) // follows the library links to their files
		if err != nil {
			t.Fatal(err)
		}
		addFile(path, 0o755, data)
	}
	// The native snapshotter: overlayfs on the engine's own overlayfs is not
	// what this test is about.
	addFile("etc/buildkit/buildkitd.toml", 0o644, []byte("[worker.oci]\n  enabled = true\n  binary = \"/usr/sbin/runc\"\n  snapshotter = \"native\"\n[worker.containerd]\n  enabled = false\n"))
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
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Env = []string{"PATH=/usr/bin:/usr/sbin:/bin"}
	cf.Config.Entrypoint = []string{"/usr/bin/buildkitd", "--config", "/etc/buildkit/buildkitd.toml"}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// startBuildkitContainer runs buildkitImage in the engine, privileged (as
// buildx's docker-container driver does), and waits until the driver can
// reach the daemon inside. It returns the container's name.
func startBuildkitContainer(t *testing.T) string {
	t.Helper()
	img := buildkitImage(t)
	suffix := fmt.Sprintf("%d", time.Now().UnixNano())
	tag, err := name.NewTag("stevedore-test/buildkit:" + suffix)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "buildkit.tar")
	if err := tarball.WriteToFile(file, tag, img); err != nil {
		t.Fatal(err)
	}
	if _, err := docker(t, "load", "-q", "-i", file); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docker(t, "rmi", "-f", tag.String()) })
	container := "stevedore-buildkit-" + suffix
	// What --privileged gives, spelled out: this machine's own bounding set
	// lacks CAP_SYS_RESOURCE, so --privileged (every capability) cannot
	// start here. The host's cgroup tree lets runc inside make its cgroups.
	// A volume for the daemon's state keeps it off the container's overlay
	// root; --network=none as every container of the reference engine.
	if _, err := docker(t, "run", "-d", "--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE",
		"--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined", "--security-opt", "systempaths=unconfined",
		"-v", "/sys/fs/cgroup:/sys/fs/cgroup", "--network=none", "-v", "/var/lib/buildkit", "--name", container, tag.String()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docker(t, "rm", "-f", "-v", container) })
	a, err := ParseAddress("docker-container://" + container)
	if err != nil {
		t.Fatal(err)
	}
	var last error
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		c, err := Check(context.Background(), a, nil, 5*time.Second)
		if err == nil {
			c.Close()
			return container
		}
		last = err
		if state, _ := docker(t, "inspect", "-f", "{{.State.Status}}", container); state != "running" {
			break
		}
	}
	logs, _ := exec.Command("docker", "logs", container).CombinedOutput()
	t.Fatalf("buildkitd in container %s never answered: %v\n%s", container, last, logs)
	return ""
}

// TestDockerContainerDriver builds the multi-stage project on a buildkitd
// inside a container, reached with docker-container://NAME as buildx's
// docker-container driver reaches its daemon: the image must be the one
// buildctl builds through the same connection, byte for byte. Then a
// container that does not exist, and the same one stopped, fail the check
// (the plan step) with the builder named, not a hang or a build error.
func TestDockerContainerDriver(t *testing.T) {
	dockerEngine(t)
	container := startBuildkitContainer(t)
	t.Run("build", func(t *testing.T) { checkBuildMatchesBuildctl(t, "docker-container://"+container) })
	t.Run("kube-pod", func(t *testing.T) { checkKubePod(t, container) })
	if _, err := docker(t, "stop", "-t", "1", container); err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{"docker-container://stevedore-no-such-container", "docker-container://" + container} {
		a, err := ParseAddress(raw)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		c, err := Check(context.Background(), a, nil, 20*time.Second)
		if err == nil {
			c.Close()
			t.Fatalf("Check(%s) succeeded; want the builder unreachable", raw)
		}
		if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), raw) || !strings.Contains(err.Error(), "--builder") {
			t.Errorf("Check(%s) = %v; want ErrUnreachable naming the builder and --builder", raw, err)
		}
		t.Logf("%s: %v (after %s)", raw, err, time.Since(start).Round(time.Millisecond))
	}
}

// checkKubePod builds through kube-pod://POD?namespace=…&container=…, the
// address of a buildkitd pod. No Kubernetes cluster can run here, so a
// kubectl stand-in on PATH plays the cluster: it accepts exactly the command
// BuildKit's kube-pod helper runs (`kubectl --context= --namespace=NS exec
// --container=C -i POD -- buildctl dial-stdio`) and runs that exec in the
// container instead of a pod. Everything from the address to the daemon's
// answer is real but the cluster.
func checkKubePod(t *testing.T, container string) {
	bin := t.TempDir()
	calls := filepath.Join(bin, "calls")
	script := `#!/bin/sh
echo "$*" >> ` + calls + `
[ "$*" = "--context= --namespace=builds exec --container=buildkitd -i ` + container + ` -- buildctl dial-stdio" ] || { echo "kubectl stand-in: unexpected command: $*" >&2; exit 2; }
exec docker exec -i ` + container + ` buildctl dial-stdio
`
	if err := os.WriteFile(filepath.Join(bin, "kubectl"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	raw := "kube-pod://" + container + "?namespace=builds&container=buildkitd"
	a, err := ParseAddress(raw)
	if err != nil {
		t.Fatal(err)
	}
	ctxDir := t.TempDir()
	writeFiles(t, ctxDir, map[string]string{"Dockerfile": "FROM scratch\nCOPY hello.txt /\n", "hello.txt": "hello from a pod\n"})
	res, err := Build(context.Background(), a, nil, builder.WithContextDir(ctxDir), builder.WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatalf("Build through %s: %v", raw, err)
	}
	root := merged(layerTrees(t, res.Image))
	if !strings.HasPrefix(root["hello.txt"], "file ") {
		t.Errorf("image built through %s has no hello.txt: %v", raw, root)
	}
	if b, err := os.ReadFile(calls); err != nil || len(b) == 0 {
		t.Errorf("the build did not go through kubectl (calls: %q, %v)", b, err)
	}
}
