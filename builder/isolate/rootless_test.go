package isolate

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/internal/unprivileged"
)

const rootlessEnv = "STEVEDORE_ISOLATE_ROOTLESS_ROOTFS"

// TestRootless runs this test binary again as nobody (setpriv), where
// TestRootlessHelper does the actual runs with a user namespace.
func TestRootless(t *testing.T) {
	needRoot(t)
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
	unprivileged.Run(t, dir, "TestRootlessHelper", []string{rootlessEnv + "=" + root})
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
