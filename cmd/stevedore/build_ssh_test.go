package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildSSHFlag: --ssh takes default, ID or ID=SOCKET; anything else
// is a usage error naming the flag, and nothing is written.
func TestBuildSSHFlag(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nRUN --mount=type=ssh,required=true true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(keyFile, []byte("not a socket"), 0o600); err != nil {
		t.Fatal(err)
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
		{"key file", nil, "deploy=" + keyFile, "is not an agent socket"},
		{"empty id", nil, "=" + sock, "want default, ID or ID=SOCKET"},
		{"agent for another id", map[string]string{"SSH_AUTH_SOCK": sock}, "other", "pass --ssh default"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := stevedore(t, c.env, "", "build", "--cache-dir", t.TempDir(), "--ssh", c.ssh, "-t", "oci:"+out, dir)
			if r.code == 0 || !strings.Contains(r.stderr, c.want) {
				t.Errorf("--ssh %s: exit %d, want a failure naming %q; stderr:\n%s", c.ssh, r.code, c.want, r.stderr)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("--ssh %s: %s was written", c.ssh, out)
			}
		})
	}
}
