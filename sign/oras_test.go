package sign

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// oras returns the ORAS CLI of STEVEDORE_TEST_ORAS, skipping without it.
func oras(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("STEVEDORE_TEST_ORAS")
	if bin == "" {
		t.Skip("STEVEDORE_TEST_ORAS is unset (.ci/oracles.sh builds the ORAS CLI; .ci/run sets it)")
	}
	return bin
}

func runORAS(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("oras %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// ORAS keeps referrers in an OCI layout as stevedore does: oras discover
// lists the bundles sign writes into a layout, and the bundles oras cp
// --recursive copies from a registry into a layout verify there.
func TestORASReadsLayoutBundles(t *testing.T) {
	bin := oras(t)
	a, _ := keys(t)
	ctx := t.Context()
	dir, h := bundleSignedLayout(t, a)
	if _, err := AttestLayoutBundle(ctx, dir, h, a.signer(t), PredicateSPDXJSON, []byte(spdx)); err != nil {
		t.Fatal(err)
	}
	out := runORAS(t, bin, "discover", "--oci-layout", dir+"@"+h.String(), "--format", "json")
	var got struct {
		Referrers []struct {
			Digest       string            `json:"digest"`
			ArtifactType string            `json:"artifactType"`
			Annotations  map[string]string `json:"annotations"`
		} `json:"referrers"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("oras discover: %v\n%s", err, out)
	}
	types := map[string]bool{}
	for _, r := range got.Referrers {
		if r.ArtifactType == BundleArtifactType {
			types[r.Annotations[bundlePredicateAnnotation]] = true
		}
	}
	if !types[CosignSignPredicate] || !types["https://spdx.dev/Document"] || len(got.Referrers) != 2 {
		t.Fatalf("oras discover lists %s", out)
	}

	// The other way: bundles attached in a registry, copied by ORAS into a
	// layout, verify in the layout.
	host := registrytest.InProcessReferrers(t)
	img := registrytest.Image(t, 1, 200)
	repo, _ := name.NewRepository(host + "/o/app")
	d2, _ := img.Digest()
	if err := remote.Write(repo.Digest(d2.String()), img); err != nil {
		t.Fatal(err)
	}
	if _, err := SignBundle(ctx, repo.Digest(d2.String()), a.signer(t)); err != nil {
		t.Fatal(err)
	}
	to := t.TempDir()
	runORAS(t, bin, "cp", "--recursive", "--from-plain-http", repo.Digest(d2.String()).String(), "--to-oci-layout", to+"@"+d2.String())
	if got, err := VerifyLayoutFormat(ctx, to, d2, BundleFormat, WithKey(a.verifier(t))); err != nil || !got.Bundle {
		t.Fatalf("bundle copied by oras: %+v, %v", got, err)
	}
}
