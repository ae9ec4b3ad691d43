package builder

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// WithSSHKeys makes SSH private keys available as agents, as buildx's
// --ssh ID=KEYFILE[,KEYFILE] does: id → key files, each id served by an
// agent in this process that holds its keys on a socket of its own, used
// as WithSSH's sockets are. Steps cannot add or remove keys (BuildKit
// lets them, for key files). A key protected by a passphrase is refused. Default: none.
func WithSSHKeys(idToKeyFiles map[string][]string) Option {
	return func(o *options) { o.sshKeys = idToKeyFiles }
}

// maxKeyFile bounds what is read of a key file, as BuildKit does.
const maxKeyFile = 100 << 10

// loadKeys reads private keys into an agent's keyring.
func loadKeys(id string, files []string) (agent.Agent, error) {
	ring := agent.NewKeyring()
	for _, file := range files {
		data, err := readLimited(file, maxKeyFile)
		if err != nil {
			return nil, fmt.Errorf("--ssh %s=%s: reading the key: %w", id, file, err)
		}
		key, err := ssh.ParseRawPrivateKey(data)
		var pass *ssh.PassphraseMissingError
		switch {
		case errors.As(err, &pass):
			return nil, fmt.Errorf("--ssh %s=%s: the key is protected by a passphrase, which stevedore does not ask for: load it into an agent (ssh-add %s) and pass --ssh %s=$SSH_AUTH_SOCK", id, file, file, id)
		case err != nil:
			return nil, fmt.Errorf("--ssh %s=%s: not an SSH private key or an agent socket: %w", id, file, err)
		}
		// No comment, as BuildKit: ssh-add -l in a step lists the same.
		if err := ring.Add(agent.AddedKey{PrivateKey: key}); err != nil {
			return nil, fmt.Errorf("--ssh %s=%s: %w", id, file, err)
		}
	}
	return ring, nil
}

func readLimited(file string, max int64) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("larger than %d bytes", max)
	}
	return data, nil
}

// serveSSHKeys starts an agent for each id of o.sshKeys, on a socket in a
// new private directory, and adds the sockets to o.sshAgents. stop ends
// them and removes the directory.
func (o *options) serveSSHKeys() (stop func(), err error) {
	if len(o.sshKeys) == 0 {
		return func() {}, nil
	}
	agents := map[string]agent.Agent{}
	for id, files := range o.sshKeys {
		if _, dup := o.sshAgents[id]; dup {
			return nil, fmt.Errorf("--ssh %s is given twice, as a socket and as key files", id)
		}
		if agents[id], err = loadKeys(id, files); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "stevedore-ssh-")
	if err != nil {
		return nil, fmt.Errorf("serving the SSH keys of --ssh: %w", err)
	}
	var listeners []net.Listener
	stop = func() {
		for _, l := range listeners {
			l.Close()
		}
		os.RemoveAll(dir)
	}
	socks := make(map[string]string, len(o.sshAgents)+len(agents))
	for id, s := range o.sshAgents {
		socks[id] = s
	}
	n := 0
	for id, a := range agents {
		sock := filepath.Join(dir, fmt.Sprintf("agent.%d", n))
		n++
		l, err := net.Listen("unix", sock)
		if err != nil {
			stop()
			return nil, fmt.Errorf("serving the SSH keys of --ssh %s: %w", id, err)
		}
		listeners = append(listeners, l)
		go serveAgent(l, a)
		socks[id] = sock
	}
	o.sshAgents = socks
	return stop, nil
}

func serveAgent(l net.Listener, a agent.Agent) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			// Through the read-only proxy: x/crypto's server would log
			// each refused request.
			up, down := net.Pipe()
			defer up.Close()
			go agent.ServeAgent(a, down)
			proxyReadOnly(c, up)
		}()
	}
}
