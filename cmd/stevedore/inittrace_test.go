package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// initRecord is one line of GODEBUG=inittrace=1 output:
// "init PKG @T ms, C ms clock, B bytes, A allocs"; fields 4 and 7 are
// the clock and the bytes.
type initRecord struct {
	pkg     string
	clockMS float64
	bytes   int64
}

func parseInitTrace(t *testing.T, out []byte) []initRecord {
	t.Helper()
	var recs []initRecord
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 10 || f[0] != "init" || f[3] != "ms," || f[6] != "clock," {
			continue
		}
		clock, err := strconv.ParseFloat(f[4], 64)
		if err != nil {
			t.Fatalf("parsing inittrace line %q: %v", sc.Text(), err)
		}
		b, err := strconv.ParseInt(f[7], 10, 64)
		if err != nil {
			t.Fatalf("parsing inittrace line %q: %v", sc.Text(), err)
		}
		recs = append(recs, initRecord{pkg: f[1], clockMS: clock, bytes: b})
	}
	return recs
}

// kmsInitPrefixes are the packages of the cloud KMS providers and their
// SDKs that run package initialisers. A default build (no stevedore_kms*
// build tag) must not start any of them: they were most of what every
// command paid before it ran.
var kmsInitPrefixes = []string{
	"github.com/sigstore/sigstore/pkg/signature/kms/",
	"github.com/aws/aws-sdk-go-v2/service/kms",
	"cloud.google.com/go/kms/",
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/",
	"github.com/hashicorp/vault/",
}

// standInInitPrefixes are packages that only the modules go.release.mod
// replaces with stand-ins bring in (go-getter's S3 and Cloud Storage
// clients and gRPC's xDS, HCL's syntax and go-cty, go-git's formats and
// config parser, go/types, pkg/profile's fgprof and pprof parser). The
// release binary must initialise none of them; the stand-ins' own packages,
// under the same import paths as the real ones, may.
var standInInitPrefixes = []string{
	"github.com/aws/aws-sdk-go-v2/service/s3",
	"cloud.google.com/go/storage",
	"google.golang.org/grpc/xds",
	"github.com/envoyproxy/",
	"github.com/hashicorp/hcl/v2/hclsyntax",
	"github.com/zclconf/go-cty/",
	"github.com/go-git/go-git/v5/plumbing/format/",
	"github.com/go-git/gcfg",
	"go/types",
	"github.com/felixge/fgprof",
	"github.com/google/pprof/",
}

// TestInitTraceVersion reports where `stevedore --version` spends its
// start-up: package initialisation per package, from the runtime's own
// inittrace, for the binary a release ships (built with go.release.mod, as
// .ci/dist.sh builds it). It asserts no timing (timings depend on the
// machine); it fails if the binary cannot run --version, the trace cannot be
// read, a cloud KMS provider or its SDK is initialised in a default build, or
// a package only the release stand-ins' real modules bring in is.
func TestInitTraceVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: builds the stevedore binary")
	}
	bin := filepath.Join(t.TempDir(), "stevedore")
	if out, err := exec.Command("bash", "../../.ci/releasemod.sh").CombinedOutput(); err != nil {
		t.Fatalf(".ci/releasemod.sh: %v\n%s", err, out)
	}
	build := exec.Command("go", "build", "-modfile=../../go.release.mod", "-tags", "urfave_cli_no_docs", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building stevedore: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "--version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if out, err := cmd.Output(); err != nil {
		t.Fatalf("running stevedore --version: %v\n%s", err, stderr.Bytes())
	} else if len(bytes.TrimSpace(out)) == 0 {
		t.Fatal("stevedore --version printed nothing")
	}
	recs := parseInitTrace(t, stderr.Bytes())
	if len(recs) == 0 {
		t.Fatalf("no inittrace lines in stderr:\n%s", stderr.Bytes())
	}
	for _, r := range recs {
		for _, p := range kmsInitPrefixes {
			if strings.HasPrefix(r.pkg, p) {
				t.Errorf("default build initialises %s at start-up: cloud KMS providers belong behind the stevedore_kms build tags (sign/kms)", r.pkg)
			}
		}
		for _, p := range standInInitPrefixes {
			if strings.HasPrefix(r.pkg, p) {
				t.Errorf("release build initialises %s at start-up: go.release.mod (.ci/releasemod.sh) should have replaced the module that brings it in", r.pkg)
			}
		}
	}
	// internal/initgc turns collection off while packages initialise; it
	// must come before the largest allocator, or it saves nothing.
	order := map[string]int{}
	for i, r := range recs {
		order[r.pkg] = i
	}
	gc, ok := order["github.com/sreevishnu07/stevedore/internal/initgc"]
	if !ok {
		t.Error("internal/initgc is not initialised: collections run during package init")
	} else if v, ok := order["github.com/asaskevich/govalidator"]; ok && v < gc {
		t.Errorf("govalidator (init %d) is initialised before internal/initgc (init %d)", v, gc)
	}
	var totalMS float64
	var totalBytes int64
	for _, r := range recs {
		totalMS += r.clockMS
		totalBytes += r.bytes
	}
	t.Logf("package init: %d packages, %.2f ms clock, %d bytes allocated", len(recs), totalMS, totalBytes)
	slices.SortFunc(recs, func(a, b initRecord) int {
		switch {
		case a.clockMS > b.clockMS:
			return -1
		case a.clockMS < b.clockMS:
			return 1
		}
		return strings.Compare(a.pkg, b.pkg)
	})
	for _, r := range recs[:min(15, len(recs))] {
		t.Logf("  %6.2f ms %9d B  %s", r.clockMS, r.bytes, r.pkg)
	}
}
