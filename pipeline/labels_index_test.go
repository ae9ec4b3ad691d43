package pipeline

import (
	"context"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/version"
)

// A multi-platform release carries the annotations on the index as well
// as on every platform's manifest (build-push-action's annotations with
// index: and manifest: levels), and every platform's config gets the
// labels. The ledger records them, and the image ID of an index is its
// digest.
func TestReleaseIndexAnnotations(t *testing.T) {
	dir := repo(t)
	reg := registrytest.InProcess(t)
	signer, _ := testSigner(t)
	cfg := config(t, reg+"/acme/IMAGE")
	cfg.Images = cfg.Images[:1]
	cfg.Images[0].Platforms = []string{"linux/amd64", "linux/arm64"}
	cfg.Annotations = map[string]string{"com.example.note": "yaml"}
	info := version.RepoInfo{Name: "app-repo", URL: "https://github.com/acme/app"}
	rep, err := Release(context.Background(), cfg, releaseOpts(t, dir, signer,
		WithRepository(info), WithAnnotations(map[string]string{"com.example.flag": "cli"}))...)
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
		t.Fatalf("%s is not an index: %v", ref, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if im.MediaType != types.OCIImageIndex || len(im.Manifests) != 2 {
		t.Fatalf("index: %s with %d manifests", im.MediaType, len(im.Manifests))
	}
	want := map[string]string{
		"com.example.note":                 "yaml",
		"com.example.flag":                 "cli",
		"org.opencontainers.image.source":  "https://github.com/acme/app",
		"org.opencontainers.image.title":   "app-repo",
		"org.opencontainers.image.version": rep.Plan.Version,
	}
	check := func(what string, got map[string]string) {
		t.Helper()
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s annotation %s = %q, want %q", what, k, got[k], v)
			}
		}
		if got["org.opencontainers.image.revision"] != rep.Plan.Commit || got["org.opencontainers.image.created"] == "" {
			t.Errorf("%s annotations lack revision/created: %v", what, got)
		}
	}
	check("index", im.Annotations)
	for _, d := range im.Manifests {
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		check(d.Platform.String()+" manifest", m.Annotations)
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.Config.Labels["org.opencontainers.image.source"] != "https://github.com/acme/app" {
			t.Errorf("%s config labels: %v", d.Platform, cf.Config.Labels)
		}
	}
	if li.ImageID != li.Digest || li.Annotations["com.example.flag"] != "cli" || li.Labels["org.opencontainers.image.title"] != "app-repo" {
		t.Errorf("ledger: imageid %s (digest %s), annotations %v, labels %v", li.ImageID, li.Digest, li.Annotations, li.Labels)
	}
}
