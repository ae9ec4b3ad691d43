package layer

import (
	"io"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// TestLayerInImage hands the layer to go-containerregistry as a v1.Layer
// and reads it back through the image.
func TestLayerInImage(t *testing.T) {
	c, err := FromFiles(t.Context(), []File{{Path: "hello", Data: []byte("hello, world\n")}})
	must(t, err)
	for _, tc := range []struct {
		opt  Option
		want types.MediaType
	}{
		{WithCompression(Gzip), types.OCILayer},
		{WithCompression(Zstd), types.OCILayerZStd},
	} {
		l := mustWrite(t, c, tc.opt)
		if mt, _ := l.MediaType(); mt != tc.want {
			t.Errorf("media type %s, want %s", mt, tc.want)
		}
		img, err := mutate.AppendLayers(empty.Image, l)
		must(t, err)
		layers, err := img.Layers()
		must(t, err)
		cfg, err := img.ConfigFile()
		must(t, err)
		if want, _ := l.DiffID(); cfg.RootFS.DiffIDs[0] != want {
			t.Errorf("config diffID %s, want %s", cfg.RootFS.DiffIDs[0], want)
		}
		rc, err := layers[0].Uncompressed()
		must(t, err)
		raw, err := io.ReadAll(rc)
		must(t, err)
		must(t, rc.Close())
		if len(raw) != 2048 {
			t.Errorf("uncompressed tar is %d bytes, want 2048 (header, data block, two zero blocks)", len(raw))
		}
		readLayer(t, l)
	}
}
