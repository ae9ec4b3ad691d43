// Package cosigntest runs the cosign v3 CLI as a test oracle.
package cosigntest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// DefaultV3 is where .ci/oracles.sh builds the cosign v3 CLI.
const DefaultV3 = "/var/cache/stevedore-oracles/cosign-v3.1.3/cosign"

// V3 returns the cosign v3 CLI ($STEVEDORE_TEST_COSIGN3, else DefaultV3)
// and skips the test when it is absent.
func V3(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("STEVEDORE_TEST_COSIGN3")
	if bin == "" {
		bin = DefaultV3
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("cosign v3 CLI not found at %s (set STEVEDORE_TEST_COSIGN3; .ci/oracles.sh builds it): %v", bin, err)
	}
	return bin
}

// Run runs bin in dir with a password for its keys and a HOME and TUF cache
// of its own, failing the test with cosign's output on error.
func Run(t testing.TB, bin, dir string, args ...string) string {
	t.Helper()
	out, err := Try(bin, dir, args...)
	if err != nil {
		t.Fatalf("cosign %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// Try is Run returning the error.
func Try(bin, dir string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "COSIGN_PASSWORD=pw", "HOME="+dir, "TUF_ROOT="+filepath.Join(dir, ".sigstore"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// SignV3 signs ref (REF@DIGEST) with a new key in cosign v3's default
// format (a bundle referrer), offline through an empty signing config, and
// attests it with the predicate {"a":1} of type PredicateType. It returns
// the directory holding cosign.key and cosign.pub (password "pw").
func SignV3(t testing.TB, ref string) string {
	t.Helper()
	bin := V3(t)
	dir := t.TempDir()
	Run(t, bin, dir, "generate-key-pair")
	Run(t, bin, dir, "signing-config", "create", "--out", "sc.json")
	Run(t, bin, dir, "sign", "--key", "cosign.key", "--signing-config", "sc.json", "--allow-insecure-registry", "-y", ref)
	if err := os.WriteFile(filepath.Join(dir, "pred.json"), []byte(`{"a":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	Run(t, bin, dir, "attest", "--key", "cosign.key", "--signing-config", "sc.json", "--allow-insecure-registry", "-y",
		"--predicate", "pred.json", "--type", PredicateType, ref)
	return dir
}

// PredicateType is the type of SignV3's attestation.
const PredicateType = "https://example.com/p"
