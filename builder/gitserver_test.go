package builder

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// gitServer serves real repositories made with the git CLI over git's smart
// HTTP protocol (git http-backend behind net/http/cgi) on loopback, where
// buildkitd (on the host's network) and stevedore both reach it.
//
//	/repo.git     master (tag latest), tags v0.0.1 and v0.0.2 (annotated),
//	              branch feature (adds sub/), a link and an executable
//	/sub.git      one file; repo.git's branch withsub has it as submodule mod;
//	              its branch withnested adds nested.git as submodule inner, and
//	              repo.git's branch withnestedsub pins mod there
//	/nested.git   one file
//	/private.git  like repo.git's master; asks for basic auth
//	              x-access-token:gitToken (BuildKit's GIT_AUTH_TOKEN form)
type gitServer struct {
	url     string
	root    string            // the served directory: NAME.git are bare repositories
	commits map[string]string // ref name → commit id
	// ssh is the same directory over SSH (ssh://root@127.0.0.1:PORT/DIR)
	// once serveSSH ran; "" without sshd or root, and sshSkip says why.
	ssh, sshSkip string
	sshDir       string // sshd's configuration: authorized_keys
	fetches      *fetchLog
}

// fetchLog counts the fetches the HTTP server answered, per repository: a
// git-upload-pack request that wants objects (ls-remote asks for refs
// only).
type fetchLog struct {
	mu sync.Mutex
	n  map[string]int
}

func (f *fetchLog) count(repo string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n[repo]
}

// logFetches passes requests on to next, counting the fetches among them.
func (f *fetchLog) logFetches(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		repo, service, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if ok && service == "git-upload-pack" && r.Method == http.MethodPost {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			plain := body
			if r.Header.Get("Content-Encoding") == "gzip" {
				if zr, err := gzip.NewReader(bytes.NewReader(body)); err == nil {
					plain, _ = io.ReadAll(zr)
				}
			}
			if bytes.Contains(plain, []byte("command=fetch")) || bytes.Contains(plain, []byte("want ")) {
				f.mu.Lock()
				f.n[repo]++
				f.mu.Unlock()
			}
		}
		next.ServeHTTP(w, r)
	})
}

const gitToken = "s3cr3t-git-token"

func startGitServer(t testing.TB) gitServer {
	t.Helper()
	bin, err := exec.LookPath("git")
	if err != nil {
		t.Skip("skipping: no git CLI (Debian: apt-get install git)")
	}
	root := t.TempDir()
	gs := gitServer{root: root, commits: map[string]string{}, fetches: &fetchLog{n: map[string]int{}}}
	mux := http.NewServeMux()
	backend := &cgi.Handler{Path: bin, Args: []string{"http-backend"}, Dir: root,
		Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "HOME=" + root}, Stderr: io.Discard}
	mux.HandleFunc("/private.git/", func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != "x-access-token" || pass != gitToken {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, r)
	})
	mux.Handle("/", backend)
	srv := httptest.NewServer(gs.fetches.logFetches(mux))
	t.Cleanup(srv.Close)
	gs.url = srv.URL

	sh := func(dir string, script string) string {
		t.Helper()
		cmd := exec.Command("/bin/sh", "-ec", script)
		cmd.Dir = dir
		// Commits made now: BuildKit keys a checkout by its commit alone, so
		// commits equal to an earlier run's would come from its cache,
		// remote URL (another port) and all. An hour back, so a checkout's
		// own times differ from them.
		now := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339Nano)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+root,
			"GIT_AUTHOR_DATE="+now, "GIT_COMMITTER_DATE="+now)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("making the test repository: %v\n%s\n%s", err, script, out)
		}
		return strings.TrimSpace(string(out))
	}
	sh(root, `git config --global user.email test@example.com
git config --global user.name test
git config --global init.defaultBranch master
git config --global protocol.file.allow always`)

	nested := filepath.Join(root, "nested-work")
	os.MkdirAll(nested, 0o755)
	sh(nested, `git init -q
echo from the nested submodule > deep
git add deep
git commit -qm nested
git clone -q --bare . ../nested.git`)

	sub := filepath.Join(root, "sub-work")
	os.MkdirAll(sub, 0o755)
	sh(sub, `git init -q
echo from the submodule > file
git add file
git commit -qm sub
git checkout -qb withnested
git submodule add -q `+gs.url+`/nested.git inner
git commit -qm withnested
git checkout -q master
git clone -q --bare . ../sub.git`)

	work := filepath.Join(root, "work")
	os.MkdirAll(work, 0o755)
	sh(work, `git init -q
echo foo of v0.0.1 > foo
mkdir -p dir/deeper
echo deep > dir/deeper/file
printf '#!/bin/sh\necho run\n' > run.sh
chmod 755 run.sh
ln -s foo link
git add -A
git commit -qm v0.0.1
git tag v0.0.1
echo foo of v0.0.2 > foo
git commit -qam v0.0.2
git tag -a v0.0.2 -m "release v0.0.2"
git branch base
git checkout -qb feature
mkdir sub
echo subfeature > sub/foo
echo nested > sub/more
git add sub
git commit -qm feature
git checkout -q master
echo latest > foo
git commit -qam latest
git tag latest
git checkout -qb withsub
git submodule add -q `+gs.url+`/sub.git mod
git commit -qm withsub
git checkout -qb withnestedsub
git -C mod fetch -q origin withnested
git -C mod checkout -q FETCH_HEAD
git add mod
git commit -qm withnestedsub
git checkout -q master
git clone -q --bare . ../repo.git
git clone -q --bare . ../private.git`)
	for _, ref := range []string{"v0.0.1", "v0.0.2", "latest", "feature", "withsub", "withnestedsub", "master"} {
		gs.commits[ref] = sh(work, "git rev-parse "+ref+"^{commit}")
	}
	gs.commits["v0.0.2-tag"] = sh(work, "git rev-parse v0.0.2")
	return gs
}

// defaultSSHD is where .ci/oracles.sh unpacks Debian's openssh-server.
const defaultSSHD = "/var/cache/stevedore-oracles/openssh-server/sshd"

// sshdBinary finds sshd: $STEVEDORE_TEST_SSHD (set by .ci/run), the oracle
// cache, then an installed openssh-server.
func sshdBinary() (string, error) {
	if p := os.Getenv("STEVEDORE_TEST_SSHD"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("STEVEDORE_TEST_SSHD: %w", err)
		}
		return p, nil
	}
	for _, p := range []string{defaultSSHD, "/usr/sbin/sshd"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no sshd: run bash .ci/oracles.sh sshd (or set STEVEDORE_TEST_SSHD)")
}

// serveSSH serves the repositories over SSH too, with a real sshd on
// loopback that accepts the keys of the agent at sock (for root: git runs
// git-upload-pack in root's shell). Without sshd or root it sets sshSkip
// to why instead.
func (g *gitServer) serveSSH(t *testing.T, sock string) {
	t.Helper()
	if os.Geteuid() != 0 {
		g.sshSkip = "ssh:// sources need root (sshd logs in as root)"
		return
	}
	bin, err := sshdBinary()
	if err != nil {
		g.sshSkip = err.Error()
		return
	}
	dir := t.TempDir()
	add := exec.Command("ssh-add", "-L")
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	pub, err := add.Output()
	if err != nil {
		t.Fatalf("ssh-add -L: %v", err)
	}
	g.sshDir = dir
	g.authorize(t, pub)
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, "hostkey")).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cfg := fmt.Sprintf("Port %d\nListenAddress 127.0.0.1\nHostKey %s\nAuthorizedKeysFile %s\nPidFile %s\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nStrictModes no\nUsePAM no\nPermitRootLogin prohibit-password\n",
		port, filepath.Join(dir, "hostkey"), filepath.Join(dir, "authorized_keys"), filepath.Join(dir, "sshd.pid"))
	if err := os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// sshd wants its privilege separation directory.
	os.MkdirAll("/run/sshd", 0o755)
	sshd := exec.Command(bin, "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	if _, err := user.Lookup("sshd"); err != nil {
		// An unpacked (not installed) openssh-server has no privilege
		// separation user: sshd runs in its own mount namespace, where
		// /etc/passwd has one, so the machine's stays as it is.
		passwd, err := os.ReadFile("/etc/passwd")
		if err != nil {
			t.Fatal(err)
		}
		passwd = append(passwd, "sshd:x:65534:65534::/run/sshd:/usr/sbin/nologin\n"...)
		if err := os.WriteFile(filepath.Join(dir, "passwd"), passwd, 0o644); err != nil {
			t.Fatal(err)
		}
		sshd = exec.Command("unshare", append([]string{"--mount", "--propagation", "private", "/bin/sh", "-ec",
			`mount --bind "$0" /etc/passwd && exec "$@"`, filepath.Join(dir, "passwd")}, sshd.Args...)...)
	}
	var stderr bytes.Buffer
	sshd.Stderr = &stderr
	if err := sshd.Start(); err != nil {
		t.Fatalf("starting sshd: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- sshd.Wait() }()
	t.Cleanup(func() { sshd.Process.Kill(); <-exited })
	for {
		if c, err := net.Dial("tcp", l.Addr().String()); err == nil {
			c.Close()
			break
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("sshd %s exited: %v\n%s", bin, err, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	g.ssh = fmt.Sprintf("ssh://root@127.0.0.1:%d%s", port, g.root)
}

// authorize lets the public keys pub log in to the server's sshd.
func (g *gitServer) authorize(t *testing.T, pub []byte) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(g.sshDir, "authorized_keys"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(pub); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// expand replaces {{GIT}} with the server's URL and {{GIT:REF}} with the
// commit REF names.
func (g gitServer) expand(s string) string {
	s = strings.ReplaceAll(s, "{{GIT}}", g.url)
	s = strings.ReplaceAll(s, "{{GITSSH}}", g.ssh)
	for ref, c := range g.commits {
		s = strings.ReplaceAll(s, "{{GIT:"+ref+"}}", c)
		s = strings.ReplaceAll(s, "{{GIT:"+ref+":short}}", c[:8])
	}
	return s
}

// basicToken is the header BuildKit sends for a GIT_AUTH_TOKEN secret.
func basicToken(tok string) string {
	return "basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:"+tok))
}
