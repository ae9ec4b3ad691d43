package builder

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/sreevishnu07/stevedore/internal/unprivileged"
)

const rootlessBuildEnv = "STEVEDORE_BUILD_ROOTLESS_DIR"

// TestRootlessBuild runs a whole build with RUN as an unprivileged user:
// this test binary again as nobody (setpriv), where TestRootlessBuildHelper
// builds. Without root there is no chown and, usually, no overlayfs: the
// user-namespace isolation and the copy-and-compare path do the work.
func TestRootlessBuild(t *testing.T) {
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
	unprivileged.Run(t, dir, "TestRootlessBuildHelper", []string{rootlessBuildEnv + "=" + dir})
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
