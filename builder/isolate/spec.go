package isolate

import (
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// Network values for Spec.Network.
const (
	NetworkHost = "host"
	NetworkNone = "none"
)

// DefaultHostname is the hostname a RUN step sees when Spec.Hostname is
// empty: the one docker build (BuildKit) uses, so scripts that print or
// compare it behave the same.
const DefaultHostname = "buildkitsandbox"

// defaultPath is only used to look up Args[0] when Env has no PATH. It is not
// added to the command's environment: Env is passed exactly.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Spec describes one command to run in a root filesystem.
type Spec struct {
	// Rootfs is the prepared root filesystem directory. It must be writable:
	// the command's changes land in it.
	Rootfs string
	// Args is the argv, already wrapped in SHELL for the shell form. Args[0]
	// without a slash is looked up in Env's PATH inside Rootfs.
	Args []string
	// Env is the command's entire environment (KEY=VALUE); nothing of the
	// host's environment is added.
	Env []string
	// Dir is the working directory inside Rootfs, created if missing as
	// docker does. Default "/".
	Dir string
	// User is "", "name", "uid", "name:group", "uid:gid" (or with a numeric
	// or named group), resolved against Rootfs's /etc/passwd and /etc/group.
	// Default root.
	User string
	// Hostname defaults to DefaultHostname.
	Hostname string
	// Network is NetworkHost (default: the host's network) or NetworkNone (a
	// new network namespace with only loopback, up).
	Network string
	// Mounts are bind mounts for RUN --mount (cache, secret, bind).
	Mounts []Mount
	// Stdout and Stderr receive the command's output; nil discards it.
	Stdout, Stderr io.Writer
}

// Mount is a bind mount of a host path into the root filesystem. Source may
// be a directory or a file (a secret); Target is an absolute path inside the
// root filesystem, created as an empty mount point when missing and removed
// again afterwards.
type Mount struct {
	Source   string
	Target   string
	ReadOnly bool
}

// ErrInvalidSpec is wrapped by errors about a Spec that cannot be run.
var ErrInvalidSpec = errors.New("invalid isolate spec")

func (s *Spec) validate() error {
	if s.Rootfs == "" {
		return fmt.Errorf("%w: Rootfs is empty", ErrInvalidSpec)
	}
	if len(s.Args) == 0 || s.Args[0] == "" {
		return fmt.Errorf("%w: Args is empty", ErrInvalidSpec)
	}
	switch s.Network {
	case "", NetworkHost, NetworkNone:
	default:
		return fmt.Errorf("%w: network %q (want %q or %q)", ErrInvalidSpec, s.Network, NetworkHost, NetworkNone)
	}
	if s.Dir != "" && !path.IsAbs(s.Dir) {
		return fmt.Errorf("%w: working directory %q is not absolute", ErrInvalidSpec, s.Dir)
	}
	for _, e := range s.Env {
		if !strings.Contains(e, "=") || strings.HasPrefix(e, "=") {
			return fmt.Errorf("%w: environment entry %q is not KEY=VALUE", ErrInvalidSpec, e)
		}
	}
	for _, m := range s.Mounts {
		if m.Source == "" || !path.IsAbs(m.Target) {
			return fmt.Errorf("%w: mount %q -> %q needs a source and an absolute target", ErrInvalidSpec, m.Source, m.Target)
		}
		if path.Clean(m.Target) == "/" {
			return fmt.Errorf("%w: mount %q cannot target /", ErrInvalidSpec, m.Source)
		}
	}
	return nil
}

func (s *Spec) hostname() string {
	if s.Hostname == "" {
		return DefaultHostname
	}
	return s.Hostname
}

func (s *Spec) dir() string {
	if s.Dir == "" {
		return "/"
	}
	return path.Clean(s.Dir)
}

// envPath is the PATH used to find Args[0].
func (s *Spec) envPath() string {
	p, ok := "", false
	for _, e := range s.Env {
		if v, found := strings.CutPrefix(e, "PATH="); found {
			p, ok = v, true
		}
	}
	if !ok {
		return defaultPath
	}
	return p
}
