package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --builder on the command line: a build through the test's BuildKit
// daemon gives the same image as its buildctl would (checked in
// builder/buildkit); here, that the flag reaches it, and that bad builders
// are usage errors (exit 2) naming the address and the flag.
func TestBuilderFlag(t *testing.T) {
	ctxDir := t.TempDir()
	for n, c := range map[string]string{"Dockerfile": "FROM scratch\nCOPY hello.txt /hello.txt\n", "hello.txt": "hi\n"} {
		if err := os.WriteFile(filepath.Join(ctxDir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"SOURCE_DATE_EPOCH": "1700000000", "XDG_CACHE_HOME": t.TempDir()}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "tcp://" + l.Addr().String()
	l.Close()
	for _, bad := range []string{closed, "ssh://host", "unix://"} {
		r := stevedore(t, env, "", "build", ctxDir, "--output", "oci:"+filepath.Join(t.TempDir(), "img"), "--builder", bad)
		if r.code != exitUsage || !strings.Contains(r.stderr, bad) {
			t.Errorf("--builder %s: exit %d, stderr %q; want exit 2 naming the address", bad, r.code, r.stderr)
		}
	}
	r := stevedore(t, env, "", "release", "--dir", ctxDir, "--snapshot", "--sign", "none", "--builder", closed)
	if r.code != exitUsage || !strings.Contains(r.stderr, "plan") || !strings.Contains(r.stderr, closed) || !strings.Contains(r.stderr, "--builder") {
		t.Errorf("release --builder %s: exit %d, stderr %q; want exit 2 from the plan step naming the address and --builder", closed, r.code, r.stderr)
	}
	// mTLS files for a release that builds on no tcp:// daemon would be
	// ignored: refused in the plan step, before anything is built.
	r = stevedore(t, env, "", "release", "--dir", ctxDir, "--snapshot", "--sign", "none", "--builder-tls-ca", filepath.Join(ctxDir, "ca.pem"))
	if r.code != exitUsage || !strings.Contains(r.stderr, "--builder-tls-*") || !strings.Contains(r.stderr, "tcp://") {
		t.Errorf("release --builder-tls-ca with the embedded builder: exit %d, stderr %q; want exit 2 naming --builder-tls-* and tcp://", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(ctxDir, "dist")); err == nil {
		t.Errorf("release --builder-tls-ca with the embedded builder wrote dist/")
	}

	addr := os.Getenv("STEVEDORE_TEST_BUILDKIT_ADDR")
	if addr == "" {
		addr = "unix:///run/stevedore-buildkit/buildkitd.sock"
	}
	if _, err := os.Stat(strings.TrimPrefix(addr, "unix://")); strings.HasPrefix(addr, "unix://") && err != nil {
		t.Skipf("skipping the build through BuildKit: no daemon at %s (start one with .ci/buildkitd.sh or set STEVEDORE_TEST_BUILDKIT_ADDR)", addr)
	}
	var digests []string
	for _, b := range []string{"embedded", addr} {
		r := stevedore(t, env, "", "build", ctxDir, "--output", "oci:"+filepath.Join(t.TempDir(), "img"), "--builder", b, "--json")
		if r.code != 0 {
			t.Fatalf("--builder %s: exit %d: %s", b, r.code, r.stderr)
		}
		var out struct {
			Digest string
			Steps  []struct{ Instruction string }
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("%v\n%s", err, r.stdout)
		}
		if out.Digest == "" || len(out.Steps) == 0 {
			t.Errorf("--builder %s: digest %q, %d steps", b, out.Digest, len(out.Steps))
		}
		digests = append(digests, out.Digest)
	}
	t.Logf("embedded %s, buildkit %s", digests[0], digests[1])
}
