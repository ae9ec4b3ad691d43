package isolate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// plan is a Spec checked and turned into what both the namespaces child and
// the OCI bundle need: resolved user, resolved mount targets (stubs created)
// and the generated /etc files.
type plan struct {
	root     string // absolute host path of the root filesystem
	user     *execUser
	env      []string
	dir      string // working directory inside root
	hostname string
	newNet   bool
	binds    []bind
	stubs    *stubs
	tmpDir   string
}

// bind is a bind mount; Target is inside root with every symlink already
// resolved (see resolveInRoot), so mounting on root+Target cannot escape.
type bind struct {
	Source   string
	Target   string
	ReadOnly bool
}

// Directories mounted over by the isolation itself.
var systemDirs = []string{"/proc", "/dev", "/sys"}

func newPlan(s *Spec) (_ *plan, err error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	root, err := filepath.Abs(s.Rootfs)
	if err == nil {
		root, err = filepath.EvalSymlinks(root)
	}
	if err != nil {
		return nil, fmt.Errorf("resolving root filesystem %s: %w", s.Rootfs, err)
	}
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%w: root filesystem %s is not a directory", ErrInvalidSpec, s.Rootfs)
	}
	p := &plan{root: root, hostname: s.hostname(), newNet: s.Network == NetworkNone, stubs: &stubs{root: root}}
	defer func() {
		if err != nil {
			p.cleanup()
		}
	}()
	if p.user, err = resolveUser(root, s.User); err != nil {
		return nil, err
	}
	p.env = withHome(s.Env, p.user.Home)

	hostDir, err := resolveInRoot(root, s.dir())
	if err != nil {
		return nil, err
	}
	// The working directory is a real change (docker creates it too), so it
	// is not recorded as a stub.
	if err := os.MkdirAll(hostDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating working directory %s: %w", s.dir(), err)
	}
	p.dir = relInRoot(root, hostDir)

	for _, d := range systemDirs {
		if _, err := p.mountPoint(d, true); err != nil {
			return nil, err
		}
	}
	if p.tmpDir, err = os.MkdirTemp("", "stevedore-isolate-"); err != nil {
		return nil, fmt.Errorf("creating temporary directory: %w", err)
	}
	files := []struct{ target, content string }{
		{"/etc/hosts", hostsFile(p.hostname)},
		{"/etc/resolv.conf", resolvConf()},
		{"/etc/hostname", p.hostname + "\n"},
	}
	for _, f := range files {
		src := filepath.Join(p.tmpDir, path.Base(f.target))
		if err := os.WriteFile(src, []byte(f.content), 0o644); err != nil {
			return nil, fmt.Errorf("writing %s: %w", f.target, err)
		}
		if err := p.addBind(Mount{Source: src, Target: f.target}); err != nil {
			return nil, err
		}
	}
	for _, m := range s.Mounts {
		if err := p.addBind(m); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *plan) addBind(m Mount) error {
	fi, err := os.Stat(m.Source)
	if err != nil {
		return fmt.Errorf("mounting %s on %s: %w", m.Source, m.Target, err)
	}
	target, err := p.mountPoint(m.Target, fi.IsDir())
	if err != nil {
		return err
	}
	src, err := filepath.Abs(m.Source)
	if err != nil {
		return fmt.Errorf("mounting %s on %s: %w", m.Source, m.Target, err)
	}
	p.binds = append(p.binds, bind{Source: src, Target: target, ReadOnly: m.ReadOnly})
	return nil
}

// mountPoint resolves target inside root, creates it if missing and returns
// the resolved path inside root.
func (p *plan) mountPoint(target string, dir bool) (string, error) {
	hp, err := resolveInRoot(p.root, target)
	if err != nil {
		return "", err
	}
	if hp == p.root {
		return "", fmt.Errorf("%w: mount target %s resolves to /", ErrInvalidSpec, target)
	}
	if err := p.stubs.ensure(hp, dir); err != nil {
		return "", err
	}
	return relInRoot(p.root, hp), nil
}

// cleanup removes stubs and generated files. It runs after the mount
// namespace (or container) is gone, so nothing is mounted on the stubs.
func (p *plan) cleanup() error {
	var errs []error
	if p.stubs != nil {
		errs = append(errs, p.stubs.cleanup())
	}
	if p.tmpDir != "" {
		if err := os.RemoveAll(p.tmpDir); err != nil {
			errs = append(errs, fmt.Errorf("removing %s: %w", p.tmpDir, err))
		}
		p.tmpDir = ""
	}
	return errors.Join(errs...)
}

// withHome adds HOME from the user's passwd entry when env has none: runc
// does this for every container, so docker's RUN sees it, and doing it here
// keeps the namespaces and OCI modes identical.
func withHome(env []string, home string) []string {
	for _, e := range env {
		if strings.HasPrefix(e, "HOME=") {
			return env
		}
	}
	return append(env[:len(env):len(env)], "HOME="+home)
}

func hostsFile(hostname string) string {
	return "127.0.0.1\tlocalhost " + hostname + "\n" +
		"::1\tlocalhost ip6-localhost ip6-loopback\n"
}

// resolvConf is the host's resolver configuration, as docker build uses with
// the host network. A host without one gets an empty file, which makes libc
// fall back to its defaults.
func resolvConf() string {
	b, err := os.ReadFile("/etc/resolv.conf")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return ""
	}
	return string(b)
}
