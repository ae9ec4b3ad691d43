package builder

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// A layer blob cut short on disk under its digest's name (what a crash
// after an unsynced rename leaves) is never served from the cache: the
// step is built again and the image is whole.
func TestTruncatedCachedLayerIsRebuiltNeverUsed(t *testing.T) {
	f := newFixture(t, "FROM scratch\nCOPY a.txt /a.txt\n", map[string]string{"a.txt": strings.Repeat("stevedore\n", 8192)})
	first := f.build(t)
	layers, err := first.Image.Layers()
	if err != nil {
		t.Fatal(err)
	}
	d, _ := layers[len(layers)-1].Digest()
	blob := filepath.Join(f.cache, "blobs", d.Algorithm, d.Hex)
	fi, err := os.Stat(blob)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(blob, fi.Size()/2); err != nil {
		t.Fatal(err)
	}

	again := f.build(t)
	for _, s := range again.Steps {
		if strings.HasPrefix(s.Instruction, "COPY") && s.Status == StatusCached {
			t.Errorf("COPY was served from a truncated cached layer")
		}
	}
	if digestOf(t, again.Image) != digestOf(t, first.Image) {
		t.Error("the rebuilt image has another digest")
	}
	if err := validate.Image(again.Image); err != nil {
		t.Fatalf("the rebuilt image is not whole: %v", err)
	}
	if got := files(t, again.Image)["a.txt"]; got != strings.Repeat("stevedore\n", 8192) {
		t.Errorf("a.txt has %d bytes, want %d", len(got), 8192*10)
	}
}
