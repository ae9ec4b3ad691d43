package build

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

const rootlessBuildEnv = "STEVEDORE_BUILD_ROOTLESS_DIR"

// TestRootlessBuild runs a whole build with RUN as an unprivileged user:
// this test binary again as nobody (setpriv), where TestRootlessBuildHelper
// builds. Without root there is no chown and, usually, no overlayfs: the
// user-namespace isolation and the copy-and-compare path do the work.
func TestRootlessBuild(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipping: the test switches to an unprivileged user, which needs root")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("skipping: setpriv (util-linux) not installed")
	}
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Skip("skipping: /bin/busybox missing; install busybox-static")
	}
	dir, err := os.MkdirTemp("", "build-rootless-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	files := map[string]string{
		"ctx/Dockerfile":         "FROM scratch\nCOPY rootfs/ /\nRUN echo rootless > /r.txt && rm /bin/echo\n",
		"ctx/rootfs/bin/busybox": string(bb),
		"ctx/rootfs/etc/passwd":  "root:x:0:0::/root:/bin/sh\n",
	}
	for n, c := range files {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []string{"sh", "echo", "rm"} {
		if err := os.Symlink("busybox", filepath.Join(dir, "ctx/rootfs/bin", a)); err != nil {
			t.Fatal(err)
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "build.test")
	copyExecutable(t, self, bin)
	if err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, 65534, 65534)
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
		bin, "-test.run=^TestRootlessBuildHelper$", "-test.v", "-test.count=1")
	cmd.Env = []string{rootlessBuildEnv + "=" + dir, "TMPDIR=" + dir, "HOME=" + dir, "PATH=/usr/bin:/bin"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	if strings.Contains(out.String(), "SKIP") {
		t.Skipf("rootless builds are not possible here:\n%s", out.String())
	}
	t.Logf("unprivileged run:\n%s", out.String())
	if err != nil || !strings.Contains(out.String(), "--- PASS: TestRootlessBuildHelper") {
		t.Fatalf("rootless build as uid 65534 failed: %v\n%s", err, out.String())
	}
}

func TestRootlessBuildHelper(t *testing.T) {
	dir := os.Getenv(rootlessBuildEnv)
	if dir == "" {
		t.Skip("only run by TestRootlessBuild")
	}
	if _, err := os.Stat("/proc/self/ns/user"); err != nil {
		t.Skip("SKIP: no user namespaces")
	}
	res, err := Build(context.Background(), WithContextDir(filepath.Join(dir, "ctx")), WithCacheDir(filepath.Join(dir, "cache")), WithEpoch(time.Unix(1700000000, 0)))
	if err != nil {
		t.Fatal(err)
	}
	got := files(t, res.Image)
	if got["r.txt"] != "rootless\n" {
		t.Errorf("/r.txt = %q", got["r.txt"])
	}
	if _, ok := got["bin/echo"]; ok {
		t.Error("bin/echo, deleted by RUN, is still in the image")
	}
	// And the image can be written out as an ordinary layout.
	p, err := layout.Write(filepath.Join(dir, "out"), empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(res.Image); err != nil {
		t.Fatal(err)
	}
}

func copyExecutable(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
