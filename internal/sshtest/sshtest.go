// Package sshtest gives tests a real SSH agent (Debian's openssh-client
// ssh-agent, holding a new ed25519 key) and the real ssh-add to run inside
// a test image, for RUN --mount=type=ssh.
package sshtest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Agent starts ssh-agent holding a new key and returns its socket; the
// agent is stopped when the test ends. Without openssh-client the test
// skips.
func Agent(t testing.TB) string {
	t.Helper()
	for _, tool := range []string{"ssh-agent", "ssh-add", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("skipping: no %s (Debian: apt-get install openssh-client)", tool)
		}
	}
	dir, err := os.MkdirTemp("", "stevedore-agent-")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "agent.sock")
	agent := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := agent.Start(); err != nil {
		t.Fatalf("starting ssh-agent: %v", err)
	}
	t.Cleanup(func() {
		agent.Process.Kill()
		agent.Wait()
		os.RemoveAll(dir)
	})
	for i := 0; i < 200; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	key := filepath.Join(dir, "id")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "stevedore-test-key", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	add := exec.Command("ssh-add", key)
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v\n%s", err, out)
	}
	return sock
}

// KeyFile makes a new ed25519 private key with no passphrase, in a
// directory of the test's, and returns its path (the public key is
// PATH.pub). Without ssh-keygen the test skips.
func KeyFile(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("skipping: no ssh-keygen (Debian: apt-get install openssh-client)")
	}
	key := filepath.Join(t.TempDir(), "id_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "stevedore-key-file", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	return key
}

// Keys is what ssh-add -l prints for the agent at sock.
func Keys(t testing.TB, sock string) string {
	t.Helper()
	cmd := exec.Command("ssh-add", "-l")
	cmd.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("ssh-add -l: %v", err)
	}
	return strings.TrimSpace(out.String())
}

var lddPath = regexp.MustCompile(`(/\S+) \(0x`)

// AddRoot puts Debian's ssh-add and the libraries it loads under
// dir/sshroot/, so a busybox image can run the real client after
// COPY sshroot/ /.
func AddRoot(t testing.TB, dir string) {
	t.Helper()
	bin, err := exec.LookPath("ssh-add")
	if err != nil {
		t.Skip("skipping: no ssh-add (Debian: apt-get install openssh-client)")
	}
	out, err := exec.Command("ldd", bin).Output()
	if err != nil {
		t.Skipf("skipping: ldd %s: %v", bin, err)
	}
	files := []string{bin}
	for _, m := range lddPath.FindAllStringSubmatch(string(out), -1) {
		files = append(files, m[1])
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, "sshroot", f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}
