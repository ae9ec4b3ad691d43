package builder

import (
	"context"
	"os"
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
