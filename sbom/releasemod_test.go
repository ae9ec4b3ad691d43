package sbom

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
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

// replacedStandIns lists the stand-ins this test binary was linked with.
func replacedStandIns(t *testing.T) map[string]string {
	t.Helper()
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		t.Fatal("no build info in the test binary")
	}
	got := map[string]string{}
	for _, d := range bi.Deps {
		if d.Replace != nil {
			got[d.Path] = d.Replace.Path
		}
	}
	return got
}

// TestReleaseModfileSBOMs runs this package's cataloging tests (the goldens
// of every format, a Go binary, an rpm sqlite database, packages) again in a
// test binary built with go.release.mod, the module file of the release
// binaries: the
// stand-ins must never be reached when stevedore catalogs an image, so
// every document must come out byte for byte as with the real modules.
// Inside that run it checks the stand-ins really are linked.
func TestReleaseModfileSBOMs(t *testing.T) {
	if got := replacedStandIns(t); len(got) > 0 {
		for mod, dir := range releaseStandIns {
			if got[mod] != dir {
				t.Errorf("running under a module file that replaces %v; want %s => %s", got, mod, dir)
			}
		}
		return
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
	cmd := exec.Command("go", append(args, "./sbom")...)
	cmd.Dir = root
	cmd.Env = os.Environ()
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
