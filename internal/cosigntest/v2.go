package cosigntest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// ModuleV2 is the cosign v2 module this repository links (and has as a
// go.mod tool).
const ModuleV2 = "github.com/sigstore/cosign/v2"

var (
	v2Once sync.Once
	v2Path string
	v2Err  string
)

// V2 builds the cosign v2 CLI of the version this module requires, once,
// into os.TempDir()/stevedore-cosign-VERSION (about 5-10 minutes cold on 2
// cores, instant afterwards), and skips the test when it cannot be built.
func V2(t testing.TB) string {
	t.Helper()
	v2Once.Do(func() {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", ModuleV2).Output()
		if err != nil {
			v2Err = "go list -m " + ModuleV2 + ": " + err.Error()
			return
		}
		version := strings.TrimSpace(string(out))
		dir := filepath.Join(os.TempDir(), "stevedore-cosign-"+version)
		bin := filepath.Join(dir, "cosign")
		if _, err := os.Stat(bin); err == nil {
			v2Path = bin
			return
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			v2Err = err.Error()
			return
		}
		tmp, err := os.CreateTemp(dir, "cosign-*.tmp")
		if err != nil {
			v2Err = err.Error()
			return
		}
		tmp.Close()
		defer os.Remove(tmp.Name())
		// Built from this module so it resolves the same cosign version and
		// dependencies as the library under test.
		cmd := exec.Command("go", "build", "-o", tmp.Name(), ModuleV2+"/cmd/cosign")
		var buf bytes.Buffer
		cmd.Stdout, cmd.Stderr = &buf, &buf
		if err := cmd.Run(); err != nil {
			v2Err = "go build " + ModuleV2 + "/cmd/cosign@" + version + ": " + err.Error() + "\n" + buf.String()
			return
		}
		if err := os.Rename(tmp.Name(), bin); err != nil {
			v2Err = err.Error()
			return
		}
		v2Path = bin
	})
	if v2Path == "" {
		t.Skipf("cosign v2 CLI unavailable, skipping the compatibility check: %s", v2Err)
	}
	return v2Path
}
