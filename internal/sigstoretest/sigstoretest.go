// Package sigstoretest runs a private Sigstore inside a test: the real
// Fulcio (certificate authority), Rekor v2 (rekor-tiles, POSIX storage) and
// timestamp-authority servers as subprocesses on loopback ports, plus an
// in-process OIDC issuer that mints identity tokens for any subject. It
// writes the trusted_root.json and signing_config.json a client needs to
// use that Sigstore, exactly as a private Sigstore deployment hands them
// out, so keyless signing and verification are tested end to end without
// the internet.
//
// The binaries come from $STEVEDORE_TEST_FULCIO, $STEVEDORE_TEST_REKOR and
// $STEVEDORE_TEST_TSA (else where .ci/oracles.sh builds them); Start skips
// the test when one is missing.
//
// Fulcio runs without a certificate transparency log, so certificates carry
// no SCT: verifiers need cosign's --insecure-ignore-sct (sign.WithIgnoreSCT).
package sigstoretest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sreevishnu07/stevedore/internal/filelock"
)

// Where .ci/oracles.sh builds the servers.
const (
	DefaultFulcio = "/var/cache/stevedore-oracles/fulcio-v1.8.8/fulcio"
	DefaultRekor  = "/var/cache/stevedore-oracles/rekor-tiles-v2.3.0/rekor-server"
	DefaultTSA    = "/var/cache/stevedore-oracles/timestamp-authority-v1.2.9/timestamp-server"
)

// Sigstore is a running private Sigstore. All fields are read-only.
type Sigstore struct {
	// FulcioURL, RekorURL and TSAURL are the servers' base URLs
	// (http://127.0.0.1:PORT); TSAURL includes /api/v1/timestamp.
	FulcioURL, RekorURL, TSAURL string
	// EmailIssuer is the OIDC issuer URL Fulcio treats as type "email":
	// certificates carry the token's email as subject.
	EmailIssuer string
	// GitHubIssuer is the OIDC issuer URL Fulcio treats as type
	// "github-workflow": certificates carry the workflow URI as subject
	// and GitHub's workflow extensions (see GitHubToken).
	GitHubIssuer string
	// TrustedRoot is the path of trusted_root.json (Fulcio chain, Rekor v2
	// key and log ID, TSA chain): what verifiers pass as --trusted-root.
	TrustedRoot string
	// SigningConfig is the path of signing_config.json (media type v0.2:
	// Fulcio, Rekor v2, TSA): what signers pass as --signing-config.
	SigningConfig string
	// Dir holds the files above and the servers' state and logs.
	Dir string

	oidc *issuer
}

// Start runs a private Sigstore for t and stops it with t.Cleanup. Tests
// using it run one at a time per machine (the timestamp authority always
// binds its metrics port 2112), so keep them few.
func Start(t testing.TB) *Sigstore {
	t.Helper()
	fulcio := binary(t, "STEVEDORE_TEST_FULCIO", DefaultFulcio)
	rekor := binary(t, "STEVEDORE_TEST_REKOR", DefaultRekor)
	tsa := binary(t, "STEVEDORE_TEST_TSA", DefaultTSA)
	dir := t.TempDir()
	s := &Sigstore{Dir: dir}

	oidc, err := startIssuer()
	if err != nil {
		t.Fatalf("starting the OIDC issuer: %v", err)
	}
	t.Cleanup(oidc.close)
	s.oidc = oidc
	s.EmailIssuer, s.GitHubIssuer = oidc.url+"/email", oidc.url+"/github"

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// Fulcio.
	cfg, _ := json.Marshal(map[string]any{"OIDCIssuers": map[string]any{
		s.EmailIssuer:  map[string]string{"IssuerURL": s.EmailIssuer, "ClientID": "sigstore", "Type": "email"},
		s.GitHubIssuer: map[string]string{"IssuerURL": s.GitHubIssuer, "ClientID": "sigstore", "Type": "github-workflow"},
	}})
	write(t, filepath.Join(dir, "fulcio.json"), cfg)
	fp := freePorts(t, 3)
	s.FulcioURL = "http://127.0.0.1:" + fp[0]
	run(t, dir, "fulcio", fulcio, "serve", "--ca", "ephemeralca", "--config-path", filepath.Join(dir, "fulcio.json"),
		"--host", "127.0.0.1", "--port", fp[0], "--grpc-host", "127.0.0.1", "--grpc-port", fp[1], "--metrics-port", fp[2],
		"--ct-log-url", "", "--legacy-unix-domain-socket", "@stevedore-fulcio-"+fp[0])

	// Rekor v2 signs its checkpoints with an Ed25519 key of ours, so the
	// trusted root can name it.
	rpub, rpriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(rpriv)
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "rekor-key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	rp := freePorts(t, 3)
	s.RekorURL = "http://127.0.0.1:" + rp[0]
	run(t, dir, "rekor", rekor, "serve", "--http-address", "127.0.0.1", "--http-port", rp[0],
		"--grpc-address", "127.0.0.1", "--grpc-port", rp[1], "--http-metrics-port", rp[2],
		"--hostname", RekorOrigin, "--storage-dir", filepath.Join(dir, "rekor-tiles"),
		"--signer-filepath", filepath.Join(dir, "rekor-key.pem"), "--checkpoint-interval", "1s")

	// The timestamp authority hard-codes its metrics listener on :2112 and
	// exits when that port is taken: one at a time per machine.
	lockTSA(t)
	tp := freePorts(t, 1)
	tsaBase := "http://127.0.0.1:" + tp[0]
	s.TSAURL = tsaBase + "/api/v1/timestamp"
	run(t, dir, "tsa", tsa, "serve", "--host", "127.0.0.1", "--port", tp[0],
		"--timestamp-signer", "memory", "--disable-ntp-monitoring")

	bundle := waitGet(ctx, t, dir, "fulcio", s.FulcioURL+"/api/v2/trustBundle")
	waitGet(ctx, t, dir, "rekor", s.RekorURL+"/healthz")
	tsaChain := waitGet(ctx, t, dir, "tsa", s.TSAURL+"/certchain")

	tr, err := trustedRoot(s, bundle, tsaChain, rpub)
	if err != nil {
		t.Fatalf("writing the trusted root: %v", err)
	}
	s.TrustedRoot = filepath.Join(dir, "trusted_root.json")
	write(t, s.TrustedRoot, tr)
	sc, err := signingConfig(s)
	if err != nil {
		t.Fatalf("writing the signing config: %v", err)
	}
	s.SigningConfig = filepath.Join(dir, "signing_config.json")
	write(t, s.SigningConfig, sc)
	return s
}

// RekorOrigin is the checkpoint origin (--hostname) of the Rekor v2 log:
// verifiers expect the host name of the log's URL in the trusted root.
const RekorOrigin = "127.0.0.1"

func binary(t testing.TB, env, def string) string {
	t.Helper()
	bin := os.Getenv(env)
	if bin == "" {
		bin = def
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("local Sigstore: %s not found (set %s; `bash .ci/oracles.sh sigstore` builds it): %v", bin, env, err)
	}
	return bin
}

func write(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// freePorts reserves n loopback ports by listening and closing; the servers
// bind them right after.
func freePorts(t testing.TB, n int) []string {
	t.Helper()
	var ls []net.Listener
	var ports []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// run starts a server with its output in DIR/NAME.log and stops it (SIGTERM,
// then SIGKILL) at cleanup.
func run(t testing.TB, dir, name, bin string, args ...string) {
	t.Helper()
	logf, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), "HOME="+dir)
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("starting %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
}

// waitGet polls url until it answers 200 and returns the body; it fails
// the test with the server's log when it does not come up.
func waitGet(ctx context.Context, t testing.TB, dir, name, url string) []byte {
	t.Helper()
	var last error
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			b, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && rerr == nil {
				return b
			}
			last = fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(b))
		} else {
			last = err
		}
		select {
		case <-ctx.Done():
			log, _ := os.ReadFile(filepath.Join(dir, name+".log"))
			t.Fatalf("%s did not answer %s: %v\n%s", name, url, last, tail(log))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func tail(b []byte) []byte {
	if len(b) > 4000 {
		return b[len(b)-4000:]
	}
	return b
}

var tsaMu sync.Mutex

// lockTSA serializes timestamp authorities across the machine (a file lock,
// for other test binaries) and this process (a mutex), until cleanup.
func lockTSA(t testing.TB) {
	t.Helper()
	tsaMu.Lock()
	unlock, err := filelock.Lock(filepath.Join(os.TempDir(), "stevedore-sigstoretest-tsa.lock"))
	if err != nil {
		tsaMu.Unlock()
		t.Fatal(err)
	}
	// Registered before the server's own cleanup, so it runs after the
	// server has stopped and released the port.
	t.Cleanup(func() { unlock(); tsaMu.Unlock() })
	if l, err := net.Listen("tcp", ":2112"); err != nil {
		t.Fatalf("the timestamp authority needs port 2112 for its metrics and something else holds it: %v", err)
	} else {
		l.Close()
	}
}

var errNoChain = errors.New("no certificates")
