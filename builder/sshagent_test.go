package builder

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// A real ssh-agent (Debian's openssh-client) holding a new ed25519 key, for
// RUN --mount=type=ssh: started once per test binary, stopped by
// TestMain's cleanup through the process it started.
var (
	agentOnce sync.Once
	agentSock string
	agentErr  error
	agentCmd  *exec.Cmd
)

func sshAgent(t *testing.T) string {
	t.Helper()
	agentOnce.Do(func() {
		for _, tool := range []string{"ssh-agent", "ssh-add", "ssh-keygen"} {
			if _, err := exec.LookPath(tool); err != nil {
				agentErr = err
				return
			}
		}
		dir, err := os.MkdirTemp("", "stevedore-agent-")
		if err != nil {
			agentErr = err
			return
		}
		sock := filepath.Join(dir, "agent.sock")
		agentCmd = exec.Command("ssh-agent", "-D", "-a", sock)
		if agentErr = agentCmd.Start(); agentErr != nil {
			return
		}
		for i := 0; i < 100; i++ {
			if _, err := os.Stat(sock); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		key := filepath.Join(dir, "id")
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "stevedore-test-key", "-f", key).CombinedOutput(); err != nil {
			agentErr = err
			agentSock = string(out)
			return
		}
		add := exec.Command("ssh-add", key)
		add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
		if out, err := add.CombinedOutput(); err != nil {
			agentErr = err
			agentSock = string(out)
			return
		}
		agentSock = sock
	})
	if agentErr != nil {
		t.Skipf("skipping: no ssh-agent with a key (Debian: apt-get install openssh-client): %v %s", agentErr, agentSock)
	}
	return agentSock
}

func stopSSHAgent() {
	if agentCmd != nil && agentCmd.Process != nil {
		agentCmd.Process.Kill()
		agentCmd.Wait()
		os.RemoveAll(filepath.Dir(agentSock))
	}
}

var lddPath = regexp.MustCompile(`(/\S+) \(0x`)

// sshAddRoot puts Debian's ssh-add and the libraries it loads under
// sshroot/ in a build context, so a busybox image can run the real client.
func sshAddRoot(t *testing.T, dir string) {
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

// agentKeys is what ssh-add -l prints for the test agent.
func agentKeys(t *testing.T, sock string) string {
	t.Helper()
	cmd := exec.Command("ssh-add", "-l")
	cmd.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("ssh-add -l on the test agent: %v", err)
	}
	return strings.TrimSpace(out.String())
}
