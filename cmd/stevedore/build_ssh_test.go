package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildSSHFlag: --ssh takes default, ID, ID=SOCKET or
// ID=KEYFILE[,KEYFILE]; anything else (a file that is no key, a key with a
// passphrase, a socket among keys) is an error naming the flag, and
// nothing is written.
func TestBuildSSHFlag(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nRUN --mount=type=ssh,required=true true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(keyFile, []byte("not a socket"), 0o600); err != nil {
		t.Fatal(err)
	}
	locked := filepath.Join(t.TempDir(), "id_locked")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "a passphrase", "-f", locked).CombinedOutput(); err != nil {
		t.Skipf("skipping: ssh-keygen (Debian: openssh-client): %v\n%s", err, out)
	}
	sock := filepath.Join(t.TempDir(), "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	out := filepath.Join(t.TempDir(), "out")
	for _, c := range []struct {
		name string
		env  map[string]string
		ssh  string
		want string
	}{
		{"no agent in the environment", nil, "default", "SSH_AUTH_SOCK is not set"},
		{"missing socket", nil, "default=" + filepath.Join(dir, "nope.sock"), "--ssh default="},
		{"not a key", nil, "deploy=" + keyFile, "--ssh deploy=" + keyFile + ": not an SSH private key or an agent socket"},
		{"key with a passphrase", nil, "deploy=" + locked, "the key is protected by a passphrase"},
		{"socket among keys", nil, "deploy=" + locked + "," + sock, "give one socket, or key files, per id"},
		{"empty id", nil, "=" + sock, "want default, ID, ID=SOCKET or ID=KEYFILE[,KEYFILE]"},
		{"id twice", nil, "a=" + sock + " a=" + sock, "the id a is given twice"},
		{"agent for another id", map[string]string{"SSH_AUTH_SOCK": sock}, "other", "pass --ssh default"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"build", "--cache-dir", t.TempDir()}
			for _, v := range strings.Fields(c.ssh) {
				args = append(args, "--ssh", v)
			}
			r := stevedore(t, c.env, "", append(args, "-t", "oci:"+out, dir)...)
			if r.code == 0 || !strings.Contains(r.stderr, c.want) {
				t.Errorf("--ssh %s: exit %d, want a failure naming %q; stderr:\n%s", c.ssh, r.code, c.want, r.stderr)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("--ssh %s: %s was written", c.ssh, out)
			}
		})
	}
}
