// Package admissiontest runs, as test oracles, the image verifiers users put
// in front of their clusters, with no cluster: sigstore policy-controller's
// tester (a ClusterImagePolicy checked against one image) and the Kyverno
// CLI (`kyverno apply --registry` of an image verification policy to a Pod).
// .ci/oracles.sh builds both; tests skip, saying so, where they are absent.
package admissiontest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Where .ci/oracles.sh builds the verifiers.
const (
	DefaultPolicyTester = "/var/cache/stevedore-oracles/policy-controller-v0.13.1/policy-tester"
	DefaultKyverno      = "/var/cache/stevedore-oracles/kyverno-v1.19.1/kyverno"
)

// PolicyTester returns policy-controller's tester ($STEVEDORE_TEST_POLICY_TESTER,
// else DefaultPolicyTester) and skips the test when it is absent.
func PolicyTester(t testing.TB) string {
	return binary(t, "STEVEDORE_TEST_POLICY_TESTER", DefaultPolicyTester, "policytester")
}

// Kyverno returns the Kyverno CLI ($STEVEDORE_TEST_KYVERNO, else
// DefaultKyverno) and skips the test when it is absent.
func Kyverno(t testing.TB) string {
	return binary(t, "STEVEDORE_TEST_KYVERNO", DefaultKyverno, "kyverno")
}

func binary(t testing.TB, env, def, oracle string) string {
	t.Helper()
	bin := os.Getenv(env)
	if bin == "" {
		bin = def
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("%s not found (set %s; `bash .ci/oracles.sh %s` builds it): %v", bin, env, oracle, err)
	}
	return bin
}

// Run runs bin with args in a HOME of its own (no Docker credentials, no
// caches from the machine) and returns its combined output and whether it
// exited 0.
func Run(t testing.TB, bin string, args ...string) (string, bool) {
	t.Helper()
	return RunEnv(t, nil, bin, args...)
}

// RunEnv is Run with env (KEY=VALUE) added last, so it overrides both the
// machine's environment and Run's own HOME, DOCKER_CONFIG and TUF_ROOT.
func RunEnv(t testing.TB, env []string, bin string, args ...string) (string, bool) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(bin, args...)
	cmd.Dir = home
	cmd.Env = append(os.Environ(), "HOME="+home, "DOCKER_CONFIG="+filepath.Join(home, ".docker"), "TUF_ROOT="+filepath.Join(home, ".sigstore"))
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		t.Fatalf("running %s: %v", bin, err)
	}
	return out.String(), err == nil
}

// Indent prefixes every line of s but the first with n spaces: a PEM block
// inside a YAML block scalar.
func Indent(s string, n int) string {
	return strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n"+strings.Repeat(" ", n))
}
