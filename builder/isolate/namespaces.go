//go:build linux

package isolate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// runNamespaces starts the init process (this binary, see Init) in new
// namespaces and waits for it.
func runNamespaces(ctx context.Context, s *Spec, p *plan, o *options, tail *tailBuffer, rootless bool) error {
	if rootless {
		// Only the caller's own id is mapped (to 0) in the user namespace.
		if p.user.UID != 0 || p.user.GID != 0 {
			return fmt.Errorf("running %s as user %q: rootless isolation maps only root (uid 0, gid 0); run the build as root for other users", argv0(s), s.User)
		}
		p.user.Groups = nil
	}
	cfg := childConfig{
		Root: p.root, Hostname: p.hostname, NewNet: p.newNet, Rootless: rootless,
		Binds: p.binds, Args: s.Args, Env: p.env, PathEnv: s.envPath(), Dir: p.dir,
		UID: p.user.UID, GID: p.user.GID, Groups: p.user.Groups,
	}
	cfgR, cfgW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("running %s: %w", argv0(s), err)
	}
	defer cfgR.Close()
	defer cfgW.Close()
	statR, statW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("running %s: %w", argv0(s), err)
	}
	defer statR.Close()
	defer statW.Close()

	cmd := exec.CommandContext(ctx, o.selfExe)
	cmd.Args = []string{childArg0}
	cmd.Env = []string{} // the init needs nothing; the command gets cfg.Env
	cmd.Stdout, cmd.Stderr = outputs(s, tail)
	cmd.ExtraFiles = []*os.File{cfgR, statW}
	// Killing init kills the PID namespace, so context cancellation takes
	// the whole tree; WaitDelay only guards against a stray pipe holder.
	cmd.WaitDelay = 5 * time.Second
	flags := uintptr(syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC)
	if p.newNet {
		flags |= syscall.CLONE_NEWNET
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: flags,
		// A dying builder must not leave builds running.
		Pdeathsig: syscall.SIGKILL,
		// Terminal signals go to the builder, which cancels ctx.
		Setpgid: true,
	}
	if rootless {
		cmd.SysProcAttr.Cloneflags |= syscall.CLONE_NEWUSER
		cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}}
		cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
		cmd.SysProcAttr.GidMappingsEnableSetgroups = false
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%w: starting %s for %s: %w", ErrSetup, o.selfExe, argv0(s), err)
	}
	cfgR.Close()
	statW.Close()
	encErr := json.NewEncoder(cfgW).Encode(&cfg)
	cfgW.Close()
	waitErr := cmd.Wait()
	msg, _ := io.ReadAll(statR)
	if len(msg) > 0 {
		return fmt.Errorf("%w for %s: %s", ErrSetup, argv0(s), strings.TrimSpace(string(msg)))
	}
	if ctx.Err() != nil {
		return exitResult(ctx, s, -1, tail)
	}
	if encErr != nil {
		return fmt.Errorf("%w: sending config for %s: %w", ErrSetup, argv0(s), encErr)
	}
	code := 0
	if waitErr != nil {
		var ee *exec.ExitError
		if !errors.As(waitErr, &ee) {
			return fmt.Errorf("running %s: %w", argv0(s), waitErr)
		}
		ws, _ := ee.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			return fmt.Errorf("running %s: isolate init killed by %v", argv0(s), ws.Signal())
		}
		code = ee.ExitCode()
	}
	return exitResult(ctx, s, code, tail)
}
