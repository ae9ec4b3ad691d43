package pipeline

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// The platforms of an index are cataloged at the same time, yet the
// ledger lists their SBOMs in platform order and each file describes its
// own platform's manifest.
func TestReleaseIndexSBOMPerPlatformInOrder(t *testing.T) {
	dir := repo(t)
	reg := registrytest.InProcess(t)
	signer, _ := testSigner(t)
	cfg := config(t, reg+"/acme/IMAGE")
	cfg.Images = cfg.Images[:1]
	cfg.Images[0].Platforms = []string{"linux/amd64", "linux/arm64"}
	cfg.Images[0].SBOM = []string{"spdx-json", "cyclonedx-json"}
	rep, err := Release(context.Background(), cfg, releaseOpts(t, dir, signer)...)
	if err != nil {
		t.Fatal(err)
	}
	li := rep.Ledger.Images[0]
	ref, err := name.ParseReference(reg + "/acme/app@" + li.Digest)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(ref)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	digestOf := map[string]string{}
	for _, d := range im.Manifests {
		digestOf[d.Platform.String()] = d.Digest.String()
	}
	var order []string
	for _, f := range li.SBOMs {
		if len(order) == 0 || order[len(order)-1] != f.Platform {
			order = append(order, f.Platform)
		}
		data, err := os.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		want := digestOf[f.Platform]
		if want == "" || !strings.Contains(string(data), strings.TrimPrefix(want, "sha256:")) {
			t.Errorf("%s SBOM %s does not name its manifest %s", f.Platform, f.Path, want)
		}
		for p, d := range digestOf {
			if p != f.Platform && strings.Contains(string(data), strings.TrimPrefix(d, "sha256:")) {
				t.Errorf("%s SBOM %s names %s's manifest", f.Platform, f.Path, p)
			}
		}
	}
	if len(li.SBOMs) < 4 || strings.Join(order, " ") != "linux/amd64 linux/arm64" {
		t.Fatalf("SBOMs %v: want each format for linux/amd64, then for linux/arm64", li.SBOMs)
	}
}
