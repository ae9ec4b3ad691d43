// Package unprivileged runs a test of the current test binary again as an
// unprivileged user (uid and gid 65534, through util-linux's setpriv), for
// tests of rootless code paths that the suite, running as root, cannot
// otherwise reach.
package unprivileged

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

// UID and GID the helper test runs as.
const UID, GID = 65534, 65534

// Run copies the test binary into dir, gives dir and everything in it to the
// unprivileged user, and runs the test named helper there with env (plus
// TMPDIR and HOME set to dir, PATH to the system's). The helper decides what
// it needs from env; it skips the caller by printing "SKIP" (t.Skip("SKIP:
// …")) when the kernel does not allow what it tests. Run skips the caller
// when it is not root or setpriv is missing, fails it when the helper did
// not pass, and returns the helper's output.
func Run(t *testing.T, dir, helper string, env []string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: switching to an unprivileged user needs root")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("skipping: setpriv (util-linux) not installed")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, filepath.Base(self))
	if err := copyExecutable(self, bin); err != nil {
		t.Fatal(err)
	}
	if err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, UID, GID)
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
		bin, "-test.run=^"+helper+"$", "-test.v", "-test.count=1")
	cmd.Env = append([]string{"TMPDIR=" + dir, "HOME=" + dir, "PATH=/usr/bin:/bin"}, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	if strings.Contains(out.String(), "SKIP") {
		t.Skipf("not possible unprivileged here:\n%s", out.String())
	}
	t.Logf("unprivileged run:\n%s", out.String())
	if err != nil || !strings.Contains(out.String(), "--- PASS: "+helper) {
		t.Fatalf("%s as uid %d failed: %v\n%s", helper, UID, err, out.String())
	}
	return out.String()
}

func copyExecutable(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
