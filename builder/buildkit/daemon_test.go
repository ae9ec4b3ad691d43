package buildkit

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/event"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

const defaultBuildkitd = "/var/cache/stevedore-oracles/buildkit-v0.29.0/buildkitd"

// certs writes a CA and a certificate it signs into dir: NAME.pem and
// NAME-key.pem. server certificates are for 127.0.0.1.
type certs struct {
	dir    string
	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey
}

func newCA(t *testing.T, dir, name string) *certs {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	c := &certs{dir: dir, caCert: cert, caKey: key}
	c.write(t, name, der, key)
	return c
}

func (c *certs) issue(t *testing.T, name string, server bool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.caCert, &key.PublicKey, c.caKey)
	if err != nil {
		t.Fatal(err)
	}
	c.write(t, name, der, key)
}

func (c *certs) write(t *testing.T, name string, der []byte, key *ecdsa.PrivateKey) {
	t.Helper()
	kd, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.dir, name+".pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.dir, name+"-key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// startDaemon runs a buildkitd of the test's own at addr (extra flags such
// as TLS files in args), with its own state directory, until the test ends
// or kill is called. tlsFiles is what Check needs to reach it.
func startDaemon(t *testing.T, addr string, tlsFiles *TLS, args ...string) (kill func()) {
	t.Helper()
	bin := os.Getenv("STEVEDORE_TEST_BUILDKITD")
	if bin == "" {
		bin = defaultBuildkitd
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("skipping: no buildkitd at %s; build BuildKit v0.29 with .ci/oracles.sh (or set STEVEDORE_TEST_BUILDKITD)", bin)
	}
	if os.Geteuid() != 0 {
		t.Skip("skipping: buildkitd with runc needs root here")
	}
	root, err := os.MkdirTemp("", "stevedore-buildkitd-test-")
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(root, "buildkitd.toml")
	if err := os.WriteFile(conf, []byte("[worker.oci]\n  enabled = true\n  binary = \"/usr/sbin/runc\"\n[worker.containerd]\n  enabled = false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	cmd := exec.Command(bin, append([]string{"--root", filepath.Join(root, "state"), "--addr", addr, "--config", conf}, args...)...)
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	kill = func() {
		cmd.Process.Kill()
		<-exited
	}
	t.Cleanup(func() {
		kill()
		os.RemoveAll(root)
	})
	a, _ := ParseAddress(addr)
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		if c, err := Check(context.Background(), a, tlsFiles, 2*time.Second); err == nil {
			c.Close()
			return kill
		}
		select {
		case <-exited:
			t.Fatalf("buildkitd exited:\n%s", log.String())
		default:
		}
	}
	t.Fatalf("buildkitd did not answer on %s:\n%s", addr, log.String())
	return nil
}

func freeTCPAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "tcp://" + l.Addr().String()
}

// TestMutualTLS: the right CA and client certificate connect and build; a
// client certificate from another CA, a CA that did not sign the daemon's
// certificate, or no TLS at all fail the check, naming the address.
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, dir, "ca")
	ca.issue(t, "server", true)
	ca.issue(t, "client", false)
	other := newCA(t, dir, "other-ca")
	other.issue(t, "other-client", false)
	p := func(n string) string { return filepath.Join(dir, n) }
	good := &TLS{CA: p("ca.pem"), Cert: p("client.pem"), Key: p("client-key.pem")}
	addr := freeTCPAddr(t)
	startDaemon(t, addr, good, "--tlscacert", p("ca.pem"), "--tlscert", p("server.pem"), "--tlskey", p("server-key.pem"))
	a, _ := ParseAddress(addr)

	ctxDir := t.TempDir()
	writeFiles(t, ctxDir, map[string]string{"Dockerfile": "FROM scratch\nCOPY hello.txt /hello.txt\n", "hello.txt": "hi\n"})
	res, err := Build(context.Background(), a, good, builder.WithContextDir(ctxDir), builder.WithCacheDir(t.TempDir()))
	if err != nil || res.Image == nil {
		t.Fatalf("build over mTLS: %v", err)
	}

	for what, tlsFiles := range map[string]*TLS{
		"client certificate of another CA": {CA: p("ca.pem"), Cert: p("other-client.pem"), Key: p("other-client-key.pem")},
		"CA that did not sign the daemon":  {CA: p("other-ca.pem"), Cert: p("client.pem"), Key: p("client-key.pem")},
		"no client certificate":            {CA: p("ca.pem")},
		"no TLS":                           nil,
	} {
		c, err := Check(context.Background(), a, tlsFiles, 5*time.Second)
		if err == nil {
			c.Close()
			t.Errorf("%s: connected", what)
			continue
		}
		if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "TLS") {
			t.Errorf("%s: error %v; want ErrUnreachable naming %s and the TLS files", what, err, addr)
		}
		t.Logf("%s: %v", what, err)
	}
	_, err = Check(context.Background(), a, &TLS{CA: p("ca.pem"), Cert: p("client.pem")}, time.Second)
	if !errors.Is(err, ErrBadAddress) || !strings.Contains(err.Error(), "--builder-tls-key") {
		t.Errorf("certificate without key: %v; want a usage error naming --builder-tls-key", err)
	}
}

// stepWatcher reports when a RUN step has started.
type stepWatcher struct{ run chan struct{} }

func (w *stepWatcher) Emit(e event.Event) {
	if s, ok := e.(event.Step); ok && s.Status == builder.StatusStarted && strings.HasPrefix(s.Instruction, "RUN ") {
		select {
		case <-w.run:
		default:
			close(w.run)
		}
	}
}

// TestDaemonKilledMidBuild: the build fails with an error naming the
// builder, and returns no image.
func TestDaemonKilledMidBuild(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "buildkitd.sock")
	addr := "unix://" + sock
	kill := startDaemon(t, addr, nil)
	a, _ := ParseAddress(addr)
	ctxDir := t.TempDir()
	writeFiles(t, ctxDir, map[string]string{"Dockerfile": "FROM base\nRUN sleep 60\n"})
	w := &stepWatcher{run: make(chan struct{})}
	go func() {
		select {
		case <-w.run:
		case <-time.After(90 * time.Second):
		}
		kill()
	}()
	res, err := Build(context.Background(), a, nil, builder.WithContextDir(ctxDir), builder.WithCacheDir(t.TempDir()),
		builder.WithNamedContext("base", builder.NamedContext{Image: registrytest.BusyboxImage(t)}), builder.WithProgress(w))
	if err == nil || res != nil {
		t.Fatalf("Build = %v, %v; want an error", res, err)
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("error %q does not name the builder %s", err, addr)
	}
	t.Log(err)
}

// TestRegistryCache: a build exports its cache (mode=max) to a registry
// with --cache-to; a fresh daemon with --cache-from runs none of its steps.
func TestRegistryCache(t *testing.T) {
	reg := registrytest.InProcess(t)
	cacheRef, err := name.ParseReference(reg + "/cache/app:buildcache")
	if err != nil {
		t.Fatal(err)
	}
	ctxDir := t.TempDir()
	writeFiles(t, ctxDir, map[string]string{"Dockerfile": "FROM base AS build\nRUN echo built > /built.txt\nFROM base\nCOPY --from=build /built.txt /\n"})
	base := registrytest.BusyboxImage(t)
	build := cacheTestBuilder(t, ctxDir, base)
	first := "unix://" + filepath.Join(t.TempDir(), "a.sock")
	kill := startDaemon(t, first, nil)
	build(first, builder.WithCacheTo(cacheRef))
	kill()
	fresh := "unix://" + filepath.Join(t.TempDir(), "b.sock")
	startDaemon(t, fresh, nil)
	run := runStep(build(fresh, builder.WithCacheFrom(cacheRef)))
	if run == nil || run.Status != builder.StatusCached {
		t.Errorf("RUN on a fresh daemon with --cache-from = %+v; want it served from the registry cache", run)
	}
}
