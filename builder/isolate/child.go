//go:build linux

package isolate

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"unsafe"
)

// File descriptors the parent passes to the init process.
const (
	configFD = 3 // JSON childConfig, closed by the parent after writing
	statusFD = 4 // setup error text; empty when the command was started
)

// childConfig is what the parent sends the init process.
type childConfig struct {
	Root     string
	Hostname string
	NewNet   bool
	Rootless bool
	Binds    []bind
	Args     []string
	Env      []string
	PathEnv  string
	Dir      string
	UID, GID int
	Groups   []int
}

// childMain runs in the re-executed init process: PID 1 of the new PID
// namespace. It returns the exit status for os.Exit.
func childMain() int {
	// Neither pipe may leak into the command.
	syscall.CloseOnExec(configFD)
	syscall.CloseOnExec(statusFD)
	status := os.NewFile(statusFD, "status")
	fail := func(err error) int {
		_, _ = status.WriteString(err.Error())
		return 1
	}
	var cfg childConfig
	cf := os.NewFile(configFD, "config")
	if err := json.NewDecoder(cf).Decode(&cfg); err != nil {
		return fail(fmt.Errorf("reading isolate config: %w", err))
	}
	_ = cf.Close()
	// Capability bounding sets are per thread and ForkExec clones from the
	// calling thread: keep setup and the fork on one thread.
	runtime.LockOSThread()
	if err := setupRoot(&cfg); err != nil {
		return fail(err)
	}
	pid, err := startCommand(&cfg)
	if err != nil {
		return fail(err)
	}
	_ = status.Close()
	return reap(pid)
}

// reap waits for the command, reaping every orphan re-parented to us on the
// way. When the command exits we exit too; the kernel then kills whatever
// is left in the PID namespace, as docker does for RUN.
func reap(pid int) int {
	for {
		var ws syscall.WaitStatus
		wpid, err := syscall.Wait4(-1, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return 255
		}
		if wpid != pid {
			continue
		}
		if ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ws.ExitStatus()
	}
}

func setupRoot(cfg *childConfig) error {
	root := cfg.Root
	// Private first: nothing below may propagate to the host's mount table.
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	if err := syscall.Mount(root, root, "", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
		return fmt.Errorf("binding root filesystem %s: %w", root, err)
	}
	in := func(p string) string { return filepath.Join(root, p) }
	if err := mountProc(in("/proc")); err != nil {
		return err
	}
	if err := mountDev(in("/dev")); err != nil {
		return err
	}
	mountSys(in("/sys"))
	for _, b := range cfg.Binds {
		if err := bindMount(b.Source, in(b.Target), b.ReadOnly); err != nil {
			return err
		}
	}
	if err := syscall.Sethostname([]byte(cfg.Hostname)); err != nil {
		return fmt.Errorf("setting hostname: %w", err)
	}
	if cfg.NewNet {
		if err := loopbackUp(); err != nil {
			return err
		}
	}
	return enterRoot(root)
}

func mountProc(target string) error {
	flags := uintptr(syscall.MS_NOSUID | syscall.MS_NODEV | syscall.MS_NOEXEC)
	if err := syscall.Mount("proc", target, "proc", flags, ""); err != nil {
		// A user namespace may not mount a fresh proc when the host's is
		// partly covered (nested containers); the host's still works for
		// everything but the process list.
		if err2 := syscall.Mount("/proc", target, "", syscall.MS_BIND|syscall.MS_REC, ""); err2 != nil {
			return fmt.Errorf("mounting /proc: %w", err)
		}
	}
	return nil
}

// devices are bound from the host's /dev rather than created with mknod,
// which a user namespace cannot do.
var devices = []string{"null", "zero", "full", "random", "urandom", "tty"}

func mountDev(dev string) error {
	if err := syscall.Mount("tmpfs", dev, "tmpfs", syscall.MS_NOSUID|syscall.MS_STRICTATIME, "mode=755,size=65536k"); err != nil {
		return fmt.Errorf("mounting /dev: %w", err)
	}
	for _, d := range devices {
		p := filepath.Join(dev, d)
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o666)
		if err != nil {
			return fmt.Errorf("creating /dev/%s: %w", d, err)
		}
		_ = f.Close()
		if err := syscall.Mount("/dev/"+d, p, "", syscall.MS_BIND, ""); err != nil {
			return fmt.Errorf("mounting /dev/%s: %w", d, err)
		}
	}
	pts := filepath.Join(dev, "pts")
	shm := filepath.Join(dev, "shm")
	for _, d := range []string{pts, shm} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", d, err)
		}
	}
	ptsFlags := uintptr(syscall.MS_NOSUID | syscall.MS_NOEXEC)
	if err := syscall.Mount("devpts", pts, "devpts", ptsFlags, "newinstance,ptmxmode=0666,mode=0620,gid=5"); err != nil {
		// gid 5 (tty) is not mapped in a single-id user namespace.
		if err := syscall.Mount("devpts", pts, "devpts", ptsFlags, "newinstance,ptmxmode=0666,mode=0620"); err != nil {
			return fmt.Errorf("mounting /dev/pts: %w", err)
		}
	}
	if err := syscall.Mount("shm", shm, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, "mode=1777,size=65536k"); err != nil {
		return fmt.Errorf("mounting /dev/shm: %w", err)
	}
	links := [][2]string{
		{"pts/ptmx", "ptmx"}, {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
		{"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
	}
	for _, l := range links {
		if err := os.Symlink(l[0], filepath.Join(dev, l[1])); err != nil {
			return fmt.Errorf("creating /dev/%s: %w", l[1], err)
		}
	}
	return nil
}

// mountSys gives a read-only /sys when the kernel allows one. A user
// namespace sharing the host's network cannot mount sysfs; then the host's
// is bound read-only, and failing that /sys stays empty: few builds need it.
func mountSys(target string) {
	ro := uintptr(syscall.MS_RDONLY | syscall.MS_NOSUID | syscall.MS_NODEV | syscall.MS_NOEXEC)
	if syscall.Mount("sysfs", target, "sysfs", ro, "") == nil {
		return
	}
	if syscall.Mount("/sys", target, "", syscall.MS_BIND|syscall.MS_REC, "") != nil {
		return
	}
	if remountReadOnly(target) != nil {
		_ = syscall.Unmount(target, syscall.MNT_DETACH)
	}
}

func bindMount(src, target string, readOnly bool) error {
	if err := syscall.Mount(src, target, "", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
		return fmt.Errorf("mounting %s on %s: %w", src, target, err)
	}
	if readOnly {
		if err := remountReadOnly(target); err != nil {
			return fmt.Errorf("making %s read-only: %w", target, err)
		}
	}
	return nil
}

// remountReadOnly keeps the flags the mount already has: in a user namespace
// clearing a locked flag such as nosuid is refused.
func remountReadOnly(target string) error {
	var st syscall.Statfs_t
	if err := syscall.Statfs(target, &st); err != nil {
		return err
	}
	keep := uintptr(st.Flags) & (syscall.MS_NOSUID | syscall.MS_NODEV | syscall.MS_NOEXEC | syscall.MS_NOATIME | syscall.MS_NODIRATIME | syscall.MS_RELATIME)
	return syscall.Mount("", target, "", syscall.MS_BIND|syscall.MS_REMOUNT|syscall.MS_RDONLY|keep, "")
}

// enterRoot makes root the process's "/". pivot_root detaches the host's
// tree entirely; it fails when the host root is not a mount (an initramfs),
// and chroot is the fallback there.
func enterRoot(root string) error {
	if err := syscall.Chdir(root); err != nil {
		return fmt.Errorf("entering root filesystem: %w", err)
	}
	if err := syscall.PivotRoot(".", "."); err == nil {
		// The old root is now stacked on "/"; detach it.
		if err := syscall.Unmount(".", syscall.MNT_DETACH); err != nil {
			return fmt.Errorf("detaching host root: %w", err)
		}
	} else if err := syscall.Chroot("."); err != nil {
		return fmt.Errorf("entering root filesystem: %w", err)
	}
	if err := syscall.Chdir("/"); err != nil {
		return fmt.Errorf("entering root filesystem: %w", err)
	}
	return nil
}

// loopbackUp brings "lo" up in a new network namespace with the same ioctl
// ifconfig uses, avoiding a netlink dependency.
func loopbackUp() error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("bringing up loopback: %w", err)
	}
	defer syscall.Close(fd)
	var ifr struct {
		name  [syscall.IFNAMSIZ]byte
		flags uint16
		_     [22]byte
	}
	copy(ifr.name[:], "lo")
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCGIFFLAGS, uintptr(unsafe.Pointer(&ifr))); e != 0 {
		return fmt.Errorf("bringing up loopback: %w", e)
	}
	ifr.flags |= syscall.IFF_UP | syscall.IFF_RUNNING
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCSIFFLAGS, uintptr(unsafe.Pointer(&ifr))); e != 0 {
		return fmt.Errorf("bringing up loopback: %w", e)
	}
	return nil
}

func startCommand(cfg *childConfig) (int, error) {
	argv0, err := lookPath(cfg.Args[0], cfg.PathEnv)
	if err != nil {
		return 0, err
	}
	null, err := os.Open("/dev/null")
	if err != nil {
		return 0, fmt.Errorf("opening /dev/null: %w", err)
	}
	defer null.Close()
	dropCapabilities()
	groups := make([]uint32, len(cfg.Groups))
	for i, g := range cfg.Groups {
		groups[i] = uint32(g)
	}
	pid, err := syscall.ForkExec(argv0, cfg.Args, &syscall.ProcAttr{
		Dir:   cfg.Dir,
		Env:   cfg.Env,
		Files: []uintptr{null.Fd(), 1, 2},
		Sys: &syscall.SysProcAttr{
			Credential: &syscall.Credential{
				Uid: uint32(cfg.UID), Gid: uint32(cfg.GID), Groups: groups,
				// A single-id user namespace denies setgroups.
				NoSetGroups: cfg.Rootless,
			},
			Pdeathsig: syscall.SIGKILL,
		},
	})
	if err != nil {
		return 0, fmt.Errorf("starting %s: %w", cfg.Args[0], err)
	}
	return pid, nil
}

// lookPath finds file in pathEnv inside the new root, like execvp.
func lookPath(file, pathEnv string) (string, error) {
	if strings.Contains(file, "/") {
		if err := executable(file); err != nil {
			return "", fmt.Errorf("starting %s: %w", file, err)
		}
		return file, nil
	}
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			dir = "."
		}
		p := path.Join(dir, file)
		if executable(p) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("starting %s: executable file not found in $PATH", file)
}

func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return syscall.EACCES
	}
	return nil
}

// defaultCaps is docker's default capability set for RUN (and containers):
// CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, SETGID, SETUID, SETPCAP,
// NET_BIND_SERVICE, NET_RAW, SYS_CHROOT, MKNOD, AUDIT_WRITE, SETFCAP.
var defaultCaps = []int{0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 18, 27, 29, 31}

// dropCapabilities removes every capability outside defaultCaps from the
// calling thread's bounding set, so root in the command has what root in a
// docker RUN has and no more. Failure leaves the set as it is: a kernel
// without some capability is not a reason to fail the build.
func dropCapabilities() {
	keep := map[int]bool{}
	for _, c := range defaultCaps {
		keep[c] = true
	}
	const prCapbsetDrop = 24
	for c := 0; c <= 63; c++ {
		if keep[c] {
			continue
		}
		if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, prCapbsetDrop, uintptr(c), 0); e == syscall.EINVAL {
			break // past the kernel's last capability
		}
	}
}
