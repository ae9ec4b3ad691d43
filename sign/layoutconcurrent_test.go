package sign

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// attacherEnv makes the test binary one of the attaching processes of
// TestLayoutConcurrentAttachers: "LAYOUT DIGEST KEYFILE N".
const attacherEnv = "STEVEDORE_TEST_LAYOUT_ATTACHER"

const attacherPassword = "layout attacher"

// Processes attaching to one OCI layout at once each keep what they
// attached: 8 copies of the test binary each sign and attest one image
// with their own key, as a legacy .sig/.att signature and as bundle
// referrers, all at the same time. Afterwards every signature and
// attestation verifies with its key, and ORAS lists all 16 bundles.
func TestLayoutConcurrentAttachers(t *testing.T) {
	if spec := os.Getenv(attacherEnv); spec != "" {
		runAttacher(t, spec)
		return
	}
	const n = 8
	dir := t.TempDir()
	h := registrytest.WriteLayout(t, dir, "v1", registrytest.Image(t, 1, 128))
	keyDir := t.TempDir()
	verifiers := make([]*Verifier, n)
	for i := range n {
		priv, pub, err := GenerateKeys([]byte(attacherPassword))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(keyDir, strconv.Itoa(i)+".key"), priv, 0o600); err != nil {
			t.Fatal(err)
		}
		if verifiers[i], err = LoadVerifier(pub); err != nil {
			t.Fatal(err)
		}
	}

	var wg sync.WaitGroup
	outs := make([][]byte, n)
	errs := make([]error, n)
	for i := range n {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestLayoutConcurrentAttachers$", "-test.count=1")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %s %s %d", attacherEnv, dir, h, filepath.Join(keyDir, strconv.Itoa(i)+".key"), i))
		wg.Go(func() { outs[i], errs[i] = cmd.CombinedOutput() })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("attacher %d: %v\n%s", i, errs[i], outs[i])
		}
	}

	ctx := t.Context()
	for i, v := range verifiers {
		for f, format := range map[Format]string{LegacyFormat: "legacy", BundleFormat: "bundle"} {
			if _, err := VerifyLayoutFormat(ctx, dir, h, f, WithKey(v)); err != nil {
				t.Errorf("signature %d (%s format): %v", i, format, err)
			}
			if _, err := VerifyLayoutAttestationFormat(ctx, dir, h, attacherPredicate, f, WithKey(v)); err != nil {
				t.Errorf("attestation %d (%s format): %v", i, format, err)
			}
		}
	}
	if got := len(layoutReferrers(t, dir)); got != 2*n {
		t.Errorf("index.json lists %d bundle referrers, want %d", got, 2*n)
	}
	for _, tag := range []string{AttachedTag(h, SignatureSuffix), AttachedTag(h, AttestationSuffix)} {
		img, err := taggedImage(layout.Path(dir), tag)
		if err != nil || img == nil {
			t.Fatalf("%s: %v, %v", tag, img, err)
		}
		if m, err := img.Manifest(); err != nil || len(m.Layers) != n {
			t.Errorf("%s holds %d signatures, want %d (%v)", tag, len(m.Layers), n, err)
		}
	}

	if bin := os.Getenv("STEVEDORE_TEST_ORAS"); bin != "" {
		out := runORAS(t, bin, "discover", "--oci-layout", dir+"@"+h.String(), "--format", "json")
		var got struct {
			Referrers []struct {
				ArtifactType string `json:"artifactType"`
			} `json:"referrers"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("oras discover: %v\n%s", err, out)
		}
		bundles := 0
		for _, r := range got.Referrers {
			if r.ArtifactType == BundleArtifactType {
				bundles++
			}
		}
		if bundles != 2*n {
			t.Errorf("oras discover lists %d bundles, want %d:\n%s", bundles, 2*n, out)
		}
	} else {
		t.Log("STEVEDORE_TEST_ORAS is unset: the referrers were not listed with ORAS")
	}
}

const attacherPredicate = "https://stevedore.invalid/attacher"

// runAttacher is one attaching process: its signature and attestation, legacy
// and bundle.
func runAttacher(t *testing.T, spec string) {
	f := strings.Fields(spec)
	if len(f) != 4 {
		t.Fatalf("%s=%q: want LAYOUT DIGEST KEYFILE N", attacherEnv, spec)
	}
	dir, key, id := f[0], f[2], f[3]
	h, err := v1.NewHash(f[1])
	if err != nil {
		t.Fatal(err)
	}
	s, err := LoadSignerFile(key, []byte(attacherPassword))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	predicate := []byte(`{"attacher":` + id + `}`)
	if _, err := SignLayout(ctx, dir, h, s); err != nil {
		t.Fatal(err)
	}
	if _, err := SignLayoutBundles(ctx, dir, h, s); err != nil {
		t.Fatal(err)
	}
	if _, err := AttestLayout(ctx, dir, h, s, attacherPredicate, predicate); err != nil {
		t.Fatal(err)
	}
	if _, err := AttestLayoutBundle(ctx, dir, h, s, attacherPredicate, predicate); err != nil {
		t.Fatal(err)
	}
}
