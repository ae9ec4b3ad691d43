package isolate

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	Init()
	os.Exit(m.Run())
}

var applets = []string{"sh", "env", "echo", "cat", "ls", "id", "hostname", "ps", "sleep", "pwd",
	"true", "false", "test", "tr", "touch", "mkdir", "rm", "sort", "cut", "grep", "wc", "head", "tail"}

// busyboxRootfs builds a minimal image root from Debian's busybox-static:
// /bin with the applets, /etc/passwd and /etc/group, and deliberately no
// /proc, /dev, /sys or /etc/hosts so leftover stubs would show.
func busyboxRootfs(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skip("skipping: /bin/busybox missing; install Debian's busybox-static (apt-get install -y busybox-static)")
	}
	root := t.TempDir()
	writeRootfs(t, root)
	return root
}

func writeRootfs(t testing.TB, root string) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "bin"), 0o755))
	must(os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	must(os.MkdirAll(filepath.Join(root, "root"), 0o700))
	must(os.MkdirAll(filepath.Join(root, "home/builder"), 0o755))
	bb, err := os.ReadFile("/bin/busybox")
	must(err)
	must(os.WriteFile(filepath.Join(root, "bin/busybox"), bb, 0o755))
	for _, a := range applets {
		must(os.Symlink("busybox", filepath.Join(root, "bin", a)))
	}
	must(os.WriteFile(filepath.Join(root, "etc/passwd"), []byte(
		"root:x:0:0:root:/root:/bin/sh\n"+
			"builder:x:1000:1000:builder:/home/builder:/bin/sh\n"), 0o644))
	must(os.WriteFile(filepath.Join(root, "etc/group"), []byte(
		"root:x:0:\n"+
			"builder:x:1000:\n"+
			"extra:x:2000:builder\n"+
			"tools:x:3000:root,builder\n"), 0o644))
	// Fixed mtimes make the "nothing changed" comparison meaningful.
	old := time.Unix(1_600_000_000, 0)
	must(filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink != 0 {
			return err
		}
		return os.Chtimes(p, old, old)
	}))
}

// treeSnapshot lists every path under root with its kind, mode, size and
// mtime: what a metadata-based layer diff would look at.
func treeSnapshot(t testing.TB, root string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		lines = append(lines, fmt.Sprintf("%s %v %d %d", rel, fi.Mode(), fi.Size(), fi.ModTime().UnixNano()))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// mountinfo lists the host's mounts at or below root: where anything Run
// left mounted would show. The rest of the table is left out because other
// processes (other test packages running in parallel, a Docker engine)
// mount and unmount things meanwhile.
func mountinfo(t testing.TB, root string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && (f[4] == root || strings.HasPrefix(f[4], root+"/")) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: needs root (namespaces and oci isolation); rootless is covered by TestRootless")
	}
}

func haveRunc() bool {
	_, err := exec.LookPath("runc")
	return err == nil
}

// modes are the isolations exercised as root: namespaces always, oci when
// runc is installed.
func modes(t *testing.T) []Isolation {
	needRoot(t)
	m := []Isolation{IsolationNamespaces}
	if haveRunc() {
		m = append(m, IsolationOCI)
	} else {
		t.Log("runc not installed (apt-get install -y runc): oci isolation not tested")
	}
	return m
}

// run runs s in mode and returns stdout and stderr.
func run(t *testing.T, mode Isolation, s Spec) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	s.Stdout, s.Stderr = &out, &errb
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := Run(ctx, s, WithIsolation(mode))
	return out.String(), errb.String(), err
}

// runOK runs s and fails the test unless it succeeds, leaving no mount on
// the host and no new path in the root filesystem beyond allowed ones.
func runOK(t *testing.T, mode Isolation, s Spec) string {
	t.Helper()
	before, mounts := treeSnapshot(t, s.Rootfs), mountinfo(t, s.Rootfs)
	out, stderr, err := run(t, mode, s)
	if err != nil {
		t.Fatalf("Run(%q): %v\nstderr: %s", s.Args, err, stderr)
	}
	if after := mountinfo(t, s.Rootfs); after != mounts {
		t.Errorf("host mount table changed:\nbefore:\n%s\nafter:\n%s", mounts, after)
	}
	if after := treeSnapshot(t, s.Rootfs); after != before && s.Dir == "" {
		t.Errorf("root filesystem changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	return out
}

func sh(script string) []string { return []string{"/bin/sh", "-c", script} }

func fmtSscan(s string, v *int) (int, error) { return fmt.Sscanf(s, "0x%x", v) }

func writeFile(t testing.TB, p, content string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
