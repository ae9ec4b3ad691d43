// Package registrytest starts real registries inside a test process: the
// go-containerregistry registry (fast, plain HTTP on 127.0.0.1) and a CNCF
// Distribution v3 registry with htpasswd auth over TLS (what real registries
// do), plus generated images and OCI layouts to push. Nothing here touches
// the network beyond loopback.
package registrytest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/bcrypt"

	// Drivers register themselves by name in the Distribution config.
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"
)

// InProcess starts go-containerregistry's registry on 127.0.0.1 (plain
// HTTP, no auth) and returns its host:port. It is stopped by t.Cleanup.
func InProcess(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// InProcessReferrers is InProcess with the OCI 1.1 referrers API on
// (InProcess and Distribution have none: clients fall back to the
// referrers tag schema there).
func InProcessReferrers(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithReferrersSupport(true)))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// Distribution is a running CNCF Distribution registry.
type Distribution struct {
	// Host is "127.0.0.1:PORT".
	Host     string
	Username string
	Password string
	// CAPool trusts the registry's self-signed certificate.
	CAPool *x509.CertPool
	// Transport trusts CAPool and nothing else; use it as the base
	// transport of clients talking to the registry.
	Transport *http.Transport
}

// StartDistribution starts Distribution v3 in-process with in-memory
// storage, htpasswd auth (bcrypt file in t.TempDir()) and TLS with a
// certificate generated here, listening on 127.0.0.1:0.
func StartDistribution(t testing.TB) *Distribution {
	t.Helper()
	// Distribution logs through logrus' global logger; tests want quiet.
	logrus.SetOutput(io.Discard)

	dir := t.TempDir()
	user, pass := "stevedore", randomHex(t, 16)
	hash, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.MinCost)
	if err != nil {
		t.Fatalf("hashing password: %v", err)
	}
	htpasswd := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(htpasswd, []byte(user+":"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatalf("writing htpasswd: %v", err)
	}

	cfg := &configuration.Configuration{}
	cfg.Log.Level = "error"
	cfg.Log.AccessLog.Disabled = true
	cfg.HTTP.Secret = randomHex(t, 16)
	cfg.Storage = configuration.Storage{
		"inmemory": configuration.Parameters{},
		// The purger runs in the background and would outlive the test.
		"maintenance": configuration.Parameters{"uploadpurging": map[any]any{"enabled": false}},
	}
	cfg.Auth = configuration.Auth{"htpasswd": configuration.Parameters{"realm": "stevedore-test", "path": htpasswd}}

	ctx, cancel := context.WithCancel(context.Background())
	app := handlers.NewApp(ctx, cfg)

	cert, pool := selfSigned(t)
	srv := httptest.NewUnstartedServer(app)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(func() {
		srv.Close()
		cancel()
	})

	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &Distribution{
		Host:      strings.TrimPrefix(srv.URL, "https://"),
		Username:  user,
		Password:  pass,
		CAPool:    pool,
		Transport: tr,
	}
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random: %v", err)
	}
	return hex.EncodeToString(b)
}

// selfSigned makes a certificate for 127.0.0.1, ::1 and localhost.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generating key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "stevedore test registry"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("creating certificate: %v", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parsing certificate: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
