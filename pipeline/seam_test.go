package pipeline

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/publish"
)

// A build's result reaches publish as a typed publish.Manifest, not an
// `any` to type-switch: an image and an index alike keep their digest.
func TestBuildResultIsAPublishableManifest(t *testing.T) {
	idx := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: empty.Image})
	for name, res := range map[string]*builder.Result{"image": {Image: empty.Image}, "index": {Image: empty.Image, Index: idx}} {
		var m publish.Manifest = res.Artifact()
		art, err := publish.NewArtifact(m)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, _ := m.Digest()
		if art.Digest() != want || art.IsIndex() != (name == "index") {
			t.Errorf("%s: artifact %s (index %v), want %s", name, art.Digest(), art.IsIndex(), want)
		}
	}
}
