package builder

import (
	"context"
	"fmt"
	"io/fs"
	"net"
	"os"
	"sync"

	"github.com/sreevishnu07/stevedore/builder/dockerfile"
	"github.com/sreevishnu07/stevedore/builder/layer"
)

// WithSSH makes SSH agents available to RUN --mount=type=ssh,id=ID (and to
// ADD from git@… URLs, which use "default"): id → the agent's unix socket.
// Default: none.
func WithSSH(idToSocket map[string]string) Option {
	return func(o *options) { o.sshAgents = idToSocket }
}

// As BuildKit: an ssh mount without a target is /run/buildkit/ssh_agent.N,
// N counting the step's ssh mounts, and the step's SSH_AUTH_SOCK is the
// first one's unless the environment sets it.
func sshTarget(m dockerfile.Mount, n int) string {
	if m.Target != "" {
		return m.Target
	}
	return fmt.Sprintf("/run/buildkit/ssh_agent.%d", n)
}

// prepareSSH resolves one RUN --mount=type=ssh: the agent it forwards
// (none for an optional mount whose agent was not given) and the socket's
// owner and mode (root's, 0600, unless the mount says otherwise).
func (ex *executor) prepareSSH(m dockerfile.Mount, n int) (preparedBind, string, error) {
	if m.Source != "" {
		return preparedBind{}, "", fmt.Errorf("--mount=type=ssh does not take source= (the agent comes from --ssh)")
	}
	id := m.CacheID
	if id == "" {
		id = "default"
	}
	sock, ok := ex.sshAgents[id]
	if !ok && m.Required {
		flag := "--ssh default"
		if id != "default" {
			flag = "--ssh " + id + "=SOCKET"
		}
		return preparedBind{}, "", fmt.Errorf("the SSH agent %q is required (--mount=type=ssh,required=true) and none was given: pass %s", id, flag)
	}
	bd := preparedBind{ssh: true, target: sshTarget(m, n), sshAgent: sock, mkdirMode: 0o600, mkdirOwner: &layer.Owner{}}
	if m.UID != nil {
		bd.mkdirOwner.UID = int(*m.UID)
	}
	if m.GID != nil {
		bd.mkdirOwner.GID = int(*m.GID)
	}
	if m.Mode != nil {
		bd.mkdirMode = fs.FileMode(*m.Mode) & fs.ModePerm
	}
	// The agent's keys stay out of the key, as a secret's content does.
	key := fmt.Sprintf("ssh %s %s %d:%d:%o", id, bd.target, bd.mkdirOwner.UID, bd.mkdirOwner.GID, bd.mkdirMode)
	return bd, key, nil
}

// forwardAgent listens on a new socket in dir, with the mount's owner and
// mode, and passes every connection to the agent: the step never sees the
// caller's socket (whose owner and mode must not change) or its path, and
// cannot add or remove the agent's keys.
func forwardAgent(ctx context.Context, dir string, bd preparedBind) (string, func(), error) {
	f, err := os.CreateTemp(dir, "ssh-")
	if err != nil {
		return "", nil, err
	}
	sock := f.Name()
	f.Close()
	os.Remove(sock)
	l, err := net.Listen("unix", sock)
	if err != nil {
		return "", nil, fmt.Errorf("forwarding the SSH agent to %s: %w", bd.target, err)
	}
	if os.Geteuid() == 0 || *bd.mkdirOwner != (layer.Owner{}) {
		err = os.Chown(sock, bd.mkdirOwner.UID, bd.mkdirOwner.GID)
	}
	if err == nil {
		err = os.Chmod(sock, bd.mkdirMode)
	}
	if err != nil {
		l.Close()
		return "", nil, fmt.Errorf("forwarding the SSH agent to %s: %w", bd.target, err)
	}
	var wg sync.WaitGroup
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				var d net.Dialer
				a, err := d.DialContext(ctx, "unix", bd.sshAgent)
				if err != nil {
					return
				}
				defer a.Close()
				proxyReadOnly(c, a)
			}()
		}
	}()
	return sock, func() { l.Close() }, nil
}
