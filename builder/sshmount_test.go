package builder

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/internal/sshtest"
)

// TestSSHMountSeesTheAgent: ssh-add -l inside a RUN lists the keys of the
// agent given with --ssh, and the socket has the mount's owner and mode.
func TestSSHMountSeesTheAgent(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipping: RUN steps need root here")
	}
	sock := sshtest.Agent(t)
	want := sshtest.Keys(t, sock)
	dir := t.TempDir()
	sshtest.AddRoot(t, dir)
	writeFiles(t, dir, map[string]string{"Dockerfile": "FROM " + oracleBase + "\nCOPY sshroot/ /\n" +
		"RUN --mount=type=ssh,id=deploy,uid=1000,mode=0640 ssh-add -l > /keys && busybox stat -c '%u:%g %a' $SSH_AUTH_SOCK > /st\n"})
	res := stevedoreBuild(t, registrytest.BusyboxImage(t), dir, WithSSH(map[string]string{"deploy": sock}))
	if got := strings.TrimSpace(imageFile(t, res.Image, "keys")); got != want {
		t.Errorf("ssh-add -l in the step:\n  %s\nwant the agent's:\n  %s", got, want)
	}
	if got := imageFile(t, res.Image, "st"); got != "1000:0 640\n" {
		t.Errorf("the socket in the step is %q, want 1000:0 640", got)
	}
	fi, err := os.Stat(sock)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the caller's agent socket changed: %v %v", fi.Mode(), err)
	}
}

// TestSSHMountRequiredNamesTheFlag: a required agent that was not given is
// an error naming the line and the --ssh flag; an optional one is skipped.
func TestSSHMountRequiredNamesTheFlag(t *testing.T) {
	for _, c := range []struct{ mount, want string }{
		{"type=ssh,required=true", "pass --ssh default"},
		{"type=ssh,id=deploy,required", "pass --ssh deploy=SOCKET"},
	} {
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"Dockerfile": "FROM scratch\nRUN --mount=" + c.mount + " true\n"})
		_, err := Build(context.Background(), WithContextDir(dir), WithCacheDir(t.TempDir()), WithEpoch(time.Unix(1700000000, 0)))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "Dockerfile:2") {
			t.Errorf("--mount=%s without --ssh: want an error naming Dockerfile:2 and %q, got %v", c.mount, c.want, err)
		}
	}
}

// TestSSHKeyFilesServedAsAgent: --ssh ID=KEYFILE serves the key through an
// agent of stevedore's: ssh-add -l in the step lists it, and the step can
// not remove it.
func TestSSHKeyFilesServedAsAgent(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipping: RUN steps need root here")
	}
	key := sshtest.KeyFile(t)
	fp, err := exec.Command("ssh-keygen", "-lf", key+".pub").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Fields(string(fp))[1]
	dir := t.TempDir()
	sshtest.AddRoot(t, dir)
	writeFiles(t, dir, map[string]string{"Dockerfile": "FROM " + oracleBase + "\nCOPY sshroot/ /\n" +
		"RUN --mount=type=ssh,id=deploy ssh-add -l > /keys && (ssh-add -D 2>/dev/null; echo $?) > /delete && ssh-add -l >> /keys\n"})
	res := stevedoreBuild(t, registrytest.BusyboxImage(t), dir, WithSSHKeys(map[string][]string{"deploy": {key}}))
	keys := strings.Split(strings.TrimSpace(imageFile(t, res.Image, "keys")), "\n")
	if len(keys) != 2 || strings.Fields(keys[0])[1] != want || keys[1] != keys[0] {
		t.Errorf("ssh-add -l in the step, before and after ssh-add -D:\n%s\nwant the key %s both times", strings.Join(keys, "\n"), want)
	}
	if got := imageFile(t, res.Image, "delete"); got == "0\n" {
		t.Errorf("ssh-add -D in the step succeeded: the agent must be read-only")
	}
}

// TestSSHKeyFileWithPassphrase: a key protected by a passphrase is refused
// before anything is built, saying how to load it instead.
func TestSSHKeyFileWithPassphrase(t *testing.T) {
	key := filepath.Join(t.TempDir(), "id_locked")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "secret words", "-f", key).CombinedOutput(); err != nil {
		t.Skipf("skipping: ssh-keygen (Debian: openssh-client): %v\n%s", err, out)
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"Dockerfile": "FROM scratch\nRUN --mount=type=ssh true\n"})
	_, err := Build(context.Background(), WithContextDir(dir), WithCacheDir(t.TempDir()), WithSSHKeys(map[string][]string{"default": {key}}))
	if err == nil || !strings.Contains(err.Error(), "protected by a passphrase") || !strings.Contains(err.Error(), "ssh-add "+key) {
		t.Errorf("a key with a passphrase: want an error saying so and naming ssh-add, got %v", err)
	}
}
