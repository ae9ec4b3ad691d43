package isolate

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestRunEcho(t *testing.T) {
	for _, mode := range modes(t) {
		t.Run(string(mode), func(t *testing.T) {
			root := busyboxRootfs(t)
			out := runOK(t, mode, Spec{Rootfs: root, Args: []string{"echo", "hello", "world"}, Env: []string{"PATH=/bin"}})
			if out != "hello world\n" {
				t.Errorf("stdout = %q", out)
			}
		})
	}
}

func TestRunEnvIsExactlySpecEnv(t *testing.T) {
	t.Setenv("STEVEDORE_HOST_ONLY", "leak")
	for _, mode := range modes(t) {
		t.Run(string(mode), func(t *testing.T) {
			root := busyboxRootfs(t)
			tests := []struct {
				user string
				want []string
			}{
				// HOME comes from passwd when ENV has none, as runc does.
				{"", []string{"FOO=bar baz", "HOME=/root", "PATH=/bin"}},
				{"builder", []string{"FOO=bar baz", "HOME=/home/builder", "PATH=/bin"}},
			}
			for _, tt := range tests {
				out := runOK(t, mode, Spec{Rootfs: root, Args: []string{"/bin/env"}, Env: []string{"FOO=bar baz", "PATH=/bin"}, User: tt.user})
				got := strings.Split(strings.TrimSpace(out), "\n")
				sort.Strings(got)
				if strings.Join(got, "|") != strings.Join(tt.want, "|") {
					t.Errorf("user %q: env = %q, want %q", tt.user, got, tt.want)
				}
			}
			out := runOK(t, mode, Spec{Rootfs: root, Args: []string{"/bin/env"}, Env: []string{"HOME=/custom"}})
			if strings.TrimSpace(out) != "HOME=/custom" {
				t.Errorf("env with HOME set = %q", out)
			}
		})
	}
}

func TestRunUser(t *testing.T) {
	tests := []struct {
		user, want, wantErr string
	}{
		{user: "", want: "0 0 0 3000"},
		{user: "root", want: "0 0 0 3000"},
		{user: "builder", want: "1000 1000 1000 2000 3000"},
		{user: "1000", want: "1000 1000 1000 2000 3000"},
		{user: "1000:2000", want: "1000 2000 2000"},
		{user: "builder:tools", want: "1000 3000 3000"},
		{user: "4242", want: "4242 0 0"},
		{user: "4242:4343", want: "4242 4343 4343"},
		{user: "nosuchuser", wantErr: `"nosuchuser"`},
		{user: "builder:nosuchgroup", wantErr: `"nosuchgroup"`},
	}
	for _, mode := range modes(t) {
		t.Run(string(mode), func(t *testing.T) {
			root := busyboxRootfs(t)
			for _, tt := range tests {
				s := Spec{Rootfs: root, Args: sh(`echo $(id -u) $(id -g) $(id -G)`), Env: []string{"PATH=/bin"}, User: tt.user}
				if tt.wantErr != "" {
					_, _, err := run(t, mode, s)
					if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
						t.Errorf("user %q: err = %v, want one naming %s", tt.user, err, tt.wantErr)
					}
					continue
				}
				if got := strings.TrimSpace(runOK(t, mode, s)); got != tt.want {
					t.Errorf("user %q: id = %q, want %q", tt.user, got, tt.want)
				}
			}
		})
	}
}

func TestRunWorkingDirCreated(t *testing.T) {
	for _, mode := range modes(t) {
		t.Run(string(mode), func(t *testing.T) {
			root := busyboxRootfs(t)
			out := runOK(t, mode, Spec{Rootfs: root, Args: []string{"pwd"}, Env: []string{"PATH=/bin"}, Dir: "/app/src"})
			if out != "/app/src\n" {
				t.Errorf("pwd = %q", out)
			}
			if fi, err := os.Stat(filepath.Join(root, "app/src")); err != nil || !fi.IsDir() {
				t.Errorf("working directory not kept in the rootfs: %v", err)
			}
		})
	}
}

func TestRunContainerView(t *testing.T) {
	// In namespaces mode our init is PID 1 (it reaps, like docker run
	// --init) and the command its child; runc execs the command as PID 1.
	script := `echo pid=$$ ppid=$PPID
echo host=$(hostname) file=$(cat /etc/hostname)
test -r /proc/self/status && echo proc=ok
echo x > /dev/null && echo null=ok
test -d /dev/pts && test -d /dev/shm && echo devdirs=ok
grep -q localhost /etc/hosts && echo hosts=ok
n=$(ls -d /proc/[0-9]* | wc -l); test $n -lt 10 && echo procs=few
touch /sys/x 2>/dev/null || echo sys=ro`
	rest := "host=box file=box\nproc=ok\nnull=ok\ndevdirs=ok\nhosts=ok\nprocs=few\nsys=ro\n"
	for _, mode := range modes(t) {
		t.Run(string(mode), func(t *testing.T) {
			want := "pid=1 ppid=0\n" + rest
			if mode == IsolationNamespaces {
				out := runOK(t, mode, Spec{Rootfs: busyboxRootfs(t), Args: []string{"cat", "/proc/1/cmdline"}, Env: []string{"PATH=/bin"}})
				if out != childArg0+"\x00" {
					t.Errorf("PID 1 is %q, want the isolate init", out)
				}
				want = "ppid=1\n" + rest
			}
			root := busyboxRootfs(t)
			out := runOK(t, mode, Spec{Rootfs: root, Args: sh(script), Env: []string{"PATH=/bin"}, Hostname: "box"})
			if mode == IsolationNamespaces {
				_, out, _ = strings.Cut(out, " ")
			}
			if out != want {
				t.Errorf("got:\n%s\nwant:\n%s", out, want)
			}
			out = runOK(t, mode, Spec{Rootfs: root, Args: []string{"hostname"}, Env: []string{"PATH=/bin"}})
			if out != DefaultHostname+"\n" {
				t.Errorf("default hostname = %q", out)
			}
		})
	}
}

func TestRunNetworkNone(t *testing.T) {
	for _, mode := range modes(t) {
		t.Run(string(mode), func(t *testing.T) {
			root := busyboxRootfs(t)
			out := runOK(t, mode, Spec{Rootfs: root, Network: NetworkNone, Env: []string{"PATH=/bin"},
				Args: sh(`tail -n +3 /proc/net/dev | cut -d: -f1; cat /sys/class/net/lo/flags`)})
			fields := strings.Fields(out)
			if len(fields) != 2 || fields[0] != "lo" {
				t.Fatalf("interfaces and lo flags = %q, want only lo", out)
			}
			var flags int
			if _, err := fmtSscan(fields[1], &flags); err != nil || flags&1 == 0 {
				t.Errorf("lo flags = %s, want IFF_UP set", fields[1])
			}
		})
	}
}

func TestRunCacheMountPersists(t *testing.T) {
	for _, mode := range modes(t) {
		t.Run(string(mode), func(t *testing.T) {
			root, cache := busyboxRootfs(t), t.TempDir()
			m := []Mount{{Source: cache, Target: "/root/.cache/build"}}
			runOK(t, mode, Spec{Rootfs: root, Mounts: m, Env: []string{"PATH=/bin"}, Args: sh(`echo 41 > /root/.cache/build/n`)})
			out := runOK(t, mode, Spec{Rootfs: root, Mounts: m, Env: []string{"PATH=/bin"}, Args: sh(`cat /root/.cache/build/n`)})
			if out != "41\n" {
				t.Errorf("second run read %q from the cache", out)
			}
			if _, err := os.Stat(filepath.Join(root, "root/.cache")); !os.IsNotExist(err) {
				t.Errorf("cache mount point left in rootfs: %v", err)
			}
		})
	}
}

func TestRunSecretMount(t *testing.T) {
	for _, mode := range modes(t) {
		t.Run(string(mode), func(t *testing.T) {
			root := busyboxRootfs(t)
			secret := filepath.Join(t.TempDir(), "token")
			if err := os.WriteFile(secret, []byte("s3cret"), 0o600); err != nil {
				t.Fatal(err)
			}
			out := runOK(t, mode, Spec{Rootfs: root, Env: []string{"PATH=/bin"},
				Mounts: []Mount{{Source: secret, Target: "/run/secrets/token", ReadOnly: true}},
				Args:   sh(`cat /run/secrets/token; echo; echo x 2>/dev/null > /run/secrets/token || echo ro`)})
			if out != "s3cret\nro\n" {
				t.Errorf("stdout = %q", out)
			}
			if _, err := os.Stat(filepath.Join(root, "run")); !os.IsNotExist(err) {
				t.Errorf("secret mount point left in rootfs: %v", err)
			}
		})
	}
}

func TestRunExitError(t *testing.T) {
	for _, mode := range modes(t) {
		t.Run(string(mode), func(t *testing.T) {
			root := busyboxRootfs(t)
			_, _, err := run(t, mode, Spec{Rootfs: root, Env: []string{"PATH=/bin"}, Args: sh(`echo to-stdout; echo to-stderr >&2; exit 3`)})
			var ee *ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("err = %v, want *ExitError", err)
			}
			if ee.Code != 3 || !strings.Contains(string(ee.Tail), "to-stdout") || !strings.Contains(string(ee.Tail), "to-stderr") {
				t.Errorf("ExitError{Code: %d, Tail: %q}", ee.Code, ee.Tail)
			}
			_, _, err = run(t, mode, Spec{Rootfs: root, Env: []string{"PATH=/bin"}, Args: []string{"no-such-command"}})
			if !errors.Is(err, ErrSetup) || errors.As(err, &ee) || !strings.Contains(err.Error(), "no-such-command") {
				t.Errorf("missing command: err = %v, want a setup error naming it", err)
			}
			if _, err := os.Stat(filepath.Join(root, "proc")); !os.IsNotExist(err) {
				t.Errorf("/proc stub left after failure: %v", err)
			}
		})
	}
}

func TestRunCancelKillsTree(t *testing.T) {
	for _, mode := range modes(t) {
		t.Run(string(mode), func(t *testing.T) {
			root := busyboxRootfs(t)
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(300*time.Millisecond, cancel)
			start := time.Now()
			// The background sleep would survive a kill of only the shell.
			err := Run(ctx, Spec{Rootfs: root, Env: []string{"PATH=/bin"}, Args: sh(`sleep 101 & sleep 100`)}, WithIsolation(mode))
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("cancel took %v", d)
			}
			deadline := time.Now().Add(5 * time.Second)
			for sleepers() > 0 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if n := sleepers(); n > 0 {
				t.Errorf("%d sleep processes survived cancellation", n)
			}
		})
	}
}

// sleepers counts host processes running "sleep 100" or "sleep 101".
func sleepers() int {
	n := 0
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		s := string(b)
		if s == "sleep\x00100\x00" || s == "sleep\x00101\x00" {
			n++
		}
	}
	return n
}

func TestRunRootfsSymlinksStayInside(t *testing.T) {
	needRoot(t)
	root := busyboxRootfs(t)
	// An image whose /etc/hosts points at the host's must not make Run
	// create or mount anything outside the rootfs.
	hostDir := t.TempDir()
	if err := os.Symlink(filepath.Join(hostDir, "hosts"), filepath.Join(root, "etc/hosts")); err != nil {
		t.Fatal(err)
	}
	out := runOK(t, IsolationNamespaces, Spec{Rootfs: root, Args: []string{"cat", "/etc/hosts"}, Env: []string{"PATH=/bin"}})
	if !strings.Contains(out, "localhost") {
		t.Errorf("/etc/hosts = %q", out)
	}
	if ents, _ := os.ReadDir(hostDir); len(ents) != 0 {
		t.Errorf("Run wrote outside the rootfs: %v", ents)
	}
}

func TestRunInvalidSpec(t *testing.T) {
	root := t.TempDir()
	for _, s := range []Spec{
		{Args: []string{"true"}},
		{Rootfs: root},
		{Rootfs: root, Args: []string{"true"}, Network: "bridge"},
		{Rootfs: root, Args: []string{"true"}, Dir: "rel"},
		{Rootfs: root, Args: []string{"true"}, Env: []string{"NOEQUALS"}},
		{Rootfs: root, Args: []string{"true"}, Mounts: []Mount{{Source: root, Target: "rel"}}},
		{Rootfs: filepath.Join(root, "missing"), Args: []string{"true"}},
	} {
		if err := Run(context.Background(), s); err == nil {
			t.Errorf("Run(%+v) succeeded", s)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Run(ctx, Spec{Rootfs: root, Args: []string{"true"}}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: err = %v", err)
	}
}
