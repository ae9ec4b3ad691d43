package isolate

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
)

const rootlessEnv = "STEVEDORE_ISOLATE_ROOTLESS_ROOTFS"

// TestRootless runs this test binary again as nobody (setpriv), where
// TestRootlessHelper does the actual runs with a user namespace.
func TestRootless(t *testing.T) {
	needRoot(t)
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("skipping: setpriv (util-linux) not installed")
	}
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skip("skipping: /bin/busybox missing; install busybox-static")
	}
	dir, err := os.MkdirTemp("", "isolate-rootless-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	root := filepath.Join(dir, "rootfs")
	writeRootfs(t, root)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "isolate.test")
	copyFile(t, self, bin)
	for _, p := range []string{dir, bin} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, 65534, 65534)
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
		bin, "-test.run=^TestRootlessHelper$", "-test.v", "-test.count=1")
	cmd.Env = []string{rootlessEnv + "=" + root, "TMPDIR=" + os.TempDir(), "PATH=/usr/bin:/bin"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	if strings.Contains(out.String(), "SKIP") {
		t.Skipf("rootless not possible here:\n%s", out.String())
	}
	t.Logf("unprivileged run:\n%s", out.String())
	if err != nil || !strings.Contains(out.String(), "--- PASS: TestRootlessHelper") {
		t.Fatalf("rootless run as uid 65534 failed: %v\n%s", err, out.String())
	}
}

func TestRootlessHelper(t *testing.T) {
	root := os.Getenv(rootlessEnv)
	if root == "" {
		t.Skip("only run by TestRootless")
	}
	if os.Geteuid() == 0 {
		t.Fatal("helper must run unprivileged")
	}
	if b, err := os.ReadFile("/proc/sys/kernel/unprivileged_userns_clone"); err == nil && strings.TrimSpace(string(b)) == "0" {
		t.Skip("SKIP: unprivileged user namespaces are disabled")
	}
	before, mounts := treeSnapshot(t, root), mountinfo(t, root)
	var out bytes.Buffer
	err := Run(context.Background(), Spec{Rootfs: root, Env: []string{"PATH=/bin"}, Hostname: "rl",
		Network: NetworkNone, Stdout: &out, Stderr: &out,
		Args: sh(`echo uid=$(id -u) ppid=$PPID host=$(hostname) net=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '); echo x > /dev/null && echo null=ok`)})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	if want := "uid=0 ppid=1 host=rl net=lo\nnull=ok\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
	if err := Run(context.Background(), Spec{Rootfs: root, Args: sh("exit 3"), Env: []string{"PATH=/bin"}}); err == nil || !strings.Contains(err.Error(), "exit code 3") {
		t.Errorf("exit 3: err = %v", err)
	}
	if err := Run(context.Background(), Spec{Rootfs: root, Args: []string{"id"}, Env: []string{"PATH=/bin"}, User: "builder"}); err == nil || !strings.Contains(err.Error(), "rootless") {
		t.Errorf("non-root user: err = %v, want the rootless limitation explained", err)
	}
	if treeSnapshot(t, root) != before {
		t.Error("root filesystem changed")
	}
	if mountinfo(t, root) != mounts {
		t.Error("mount table changed")
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
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
