package isolate

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The subset of the OCI runtime spec (v1.0.2) that Run fills in. Declared
// here instead of importing runtime-spec/specs-go: a dozen fields do not
// justify a module dependency, and the JSON names are the spec's.
type ociSpec struct {
	Version  string     `json:"ociVersion"`
	Process  ociProcess `json:"process"`
	Root     ociRoot    `json:"root"`
	Hostname string     `json:"hostname"`
	Mounts   []ociMount `json:"mounts"`
	Linux    ociLinux   `json:"linux"`
}

type ociProcess struct {
	Terminal     bool            `json:"terminal"`
	User         ociUser         `json:"user"`
	Args         []string        `json:"args"`
	Env          []string        `json:"env"`
	Cwd          string          `json:"cwd"`
	Capabilities ociCapabilities `json:"capabilities"`
}

type ociUser struct {
	UID            uint32   `json:"uid"`
	GID            uint32   `json:"gid"`
	AdditionalGids []uint32 `json:"additionalGids,omitempty"`
}

type ociCapabilities struct {
	Bounding  []string `json:"bounding"`
	Effective []string `json:"effective"`
	Permitted []string `json:"permitted"`
}

type ociRoot struct {
	Path     string `json:"path"`
	Readonly bool   `json:"readonly"`
}

type ociMount struct {
	Destination string   `json:"destination"`
	Type        string   `json:"type"`
	Source      string   `json:"source"`
	Options     []string `json:"options,omitempty"`
}

type ociLinux struct {
	Namespaces    []ociNamespace `json:"namespaces"`
	MaskedPaths   []string       `json:"maskedPaths"`
	ReadonlyPaths []string       `json:"readonlyPaths"`
}

type ociNamespace struct {
	Type string `json:"type"`
}

// ociCapNames are defaultCaps by name.
var ociCapNames = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_NET_RAW", "CAP_SYS_CHROOT", "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP",
}

// ociConfig builds the same container the namespaces mode sets up. Masked
// and read-only paths are docker's defaults.
func ociConfig(s *Spec, p *plan) *ociSpec {
	groups := make([]uint32, len(p.user.Groups))
	for i, g := range p.user.Groups {
		groups[i] = uint32(g)
	}
	c := &ociSpec{
		Version: "1.0.2",
		Process: ociProcess{
			User:         ociUser{UID: uint32(p.user.UID), GID: uint32(p.user.GID), AdditionalGids: groups},
			Args:         s.Args,
			Env:          p.env,
			Cwd:          p.dir,
			Capabilities: ociCapabilities{Bounding: ociCapNames, Effective: ociCapNames, Permitted: ociCapNames},
		},
		Root:     ociRoot{Path: p.root},
		Hostname: p.hostname,
		Mounts: []ociMount{
			{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
			{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		},
		Linux: ociLinux{
			Namespaces: []ociNamespace{{"pid"}, {"ipc"}, {"uts"}, {"mount"}},
			MaskedPaths: []string{"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys",
				"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
				"/proc/scsi", "/sys/firmware"},
			ReadonlyPaths: []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"},
		},
	}
	if p.newNet {
		// runc brings loopback up in a new network namespace.
		c.Linux.Namespaces = append(c.Linux.Namespaces, ociNamespace{"network"})
	}
	for _, b := range p.binds {
		opts := []string{"rbind", "rprivate"}
		if b.ReadOnly {
			opts = append(opts, "ro")
		}
		c.Mounts = append(c.Mounts, ociMount{Destination: b.Target, Type: "bind", Source: b.Source, Options: opts})
	}
	return c
}

// runtimeBinary finds the OCI runtime: the option, else runc, else crun.
func runtimeBinary(o *options) (string, error) {
	names := []string{"runc", "crun"}
	if o.runtime != "" {
		names = []string{o.runtime}
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: no OCI runtime found (looked for %s); install runc or use another isolation", ErrSetup, strings.Join(names, ", "))
}

// runOCI writes a bundle next to a private state directory, runs it in the
// foreground and deletes the container afterwards, whatever happened.
func runOCI(ctx context.Context, s *Spec, p *plan, o *options, tail *tailBuffer) error {
	rt, err := runtimeBinary(o)
	if err != nil {
		return err
	}
	bundle := filepath.Join(p.tmpDir, "bundle")
	state := filepath.Join(p.tmpDir, "state")
	for _, d := range []string{bundle, state} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return fmt.Errorf("%w: creating %s: %w", ErrSetup, d, err)
		}
	}
	cfg, err := json.MarshalIndent(ociConfig(s, p), "", "\t")
	if err != nil {
		return fmt.Errorf("%w: encoding config.json: %w", ErrSetup, err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), cfg, 0o600); err != nil {
		return fmt.Errorf("%w: writing config.json: %w", ErrSetup, err)
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	id := "stevedore-" + hex.EncodeToString(rnd[:])
	logFile := filepath.Join(p.tmpDir, "runtime.log")
	base := []string{"--root", state, "--log", logFile, "--log-format", "json"}

	// Deleting with --force kills the container's init, and with it the PID
	// namespace; killing only the runtime's foreground process would leave
	// the container running.
	remove := func() {
		del := exec.Command(rt, append(base, "delete", "--force", id)...)
		_ = del.Run()
	}
	defer remove()
	cmd := exec.CommandContext(ctx, rt, append(base, "run", "--bundle", bundle, id)...)
	cmd.Env = []string{}
	cmd.Stdout, cmd.Stderr = outputs(s, tail)
	cmd.Cancel = func() error {
		remove()
		return cmd.Process.Kill()
	}
	cmd.WaitDelay = 5 * time.Second
	waitErr := cmd.Run()
	if ctx.Err() != nil {
		return exitResult(ctx, s, -1, tail)
	}
	if msg := runtimeError(logFile); msg != "" {
		return fmt.Errorf("%w for %s: %s: %s", ErrSetup, argv0(s), filepath.Base(rt), msg)
	}
	code := 0
	if waitErr != nil {
		var ee *exec.ExitError
		if !errors.As(waitErr, &ee) {
			return fmt.Errorf("%w: running %s: %w", ErrSetup, rt, waitErr)
		}
		code = ee.ExitCode()
	}
	return exitResult(ctx, s, code, tail)
}

// runtimeError returns the runtime's own error from its JSON log: the exit
// status alone cannot tell "runc failed" from "the command exited 1".
func runtimeError(logFile string) string {
	f, err := os.Open(logFile)
	if err != nil {
		return ""
	}
	defer f.Close()
	var last string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e struct{ Level, Msg string }
		if json.Unmarshal(sc.Bytes(), &e) == nil && (e.Level == "error" || e.Level == "fatal") {
			last = e.Msg
		}
	}
	return last
}
