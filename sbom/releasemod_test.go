package sbom

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// releaseStandIns are the modules go.release.mod (.ci/releasemod.sh)
// replaces with stand-ins.
var releaseStandIns = map[string]string{
	"github.com/hashicorp/go-getter": "./sbom/nogetter",
	"github.com/hashicorp/hcl/v2":    "./sbom/nohcl",
	"golang.org/x/tools":             "./sbom/notools",
	"github.com/go-git/go-git/v5":    "./sbom/nogit",
	"github.com/pkg/profile":         "./sbom/noprofile",
	"github.com/go-chi/chi/v5":       "./sbom/nochi",
}

// innerRunEnv marks the test run under go.release.mod, which must not start
// another (a test binary's build info lists no module replacements).
const innerRunEnv = "STEVEDORE_TEST_RELEASEMOD_INNER"

// TestReleaseModfileSBOMs runs this package's cataloging tests (the goldens
// of every format, a Go binary, an rpm sqlite database, packages) again in a
// test binary built with go.release.mod, the module file of the release
// binaries: the stand-ins must never be reached when stevedore catalogs an
// image, so every document must come out byte for byte as with the real
// modules.
// `go list -m` checks the module file really replaces each module.
func TestReleaseModfileSBOMs(t *testing.T) {
	if os.Getenv(innerRunEnv) != "" {
		return // the run under go.release.mod: the other tests are the check
	}
	if testing.Short() {
		t.Skip("-short: runs this package's tests again with go.release.mod")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	gen := exec.Command("bash", filepath.Join(root, ".ci", "releasemod.sh"))
	gen.Dir = root
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf(".ci/releasemod.sh: %v\n%s", err, out)
	}
	args := []string{"test", "-modfile=go.release.mod", "-count=1", "-v",
		"-run", "^(TestReleaseModfileSBOMs|TestEncodeGolden|TestEncodeDeterministic|TestGenerateGoBinary|TestPackages|TestSQLiteDriver)$"}
	if d, ok := t.Deadline(); ok {
		// The inner run gets what is left of this one's time, less a margin
		// to report its output.
		args = append(args, "-timeout", (time.Until(d) - 30*time.Second).Round(time.Second).String())
	}
	for mod, dir := range releaseStandIns {
		list := exec.Command("go", "list", "-modfile=go.release.mod", "-m", "-f", "{{with .Replace}}{{.Path}}{{end}}", mod)
		list.Dir = root
		out, err := list.Output()
		if err != nil {
			t.Fatalf("go list -modfile=go.release.mod -m %s: %v", mod, err)
		}
		if got := strings.TrimSpace(string(out)); got != dir {
			t.Fatalf("go.release.mod replaces %s with %q, want %s", mod, got, dir)
		}
	}
	cmd := exec.Command("go", append(args, "./sbom")...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), innerRunEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go test -modfile=go.release.mod ./sbom: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestReleaseModfileSBOMs") ||
		!strings.Contains(string(out), "--- PASS: TestEncodeGolden") {
		t.Fatalf("the run under go.release.mod did not run the goldens and the stand-in check:\n%s", out)
	}
	t.Logf("go test -modfile=go.release.mod ./sbom passed")
}
