//go:build unix

package publish

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/sreevishnu07/stevedore/builder"
)

// A build published to an OCI layout on the cache's file system shares the
// layer file with the build cache (one inode: the layer was written once),
// and the layout still reads back as valid, digest-checked content.
func TestLayoutSharesBuiltLayerWithCache(t *testing.T) {
	root := t.TempDir()
	ctxDir := filepath.Join(root, "ctx")
	if err := os.MkdirAll(ctxDir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"Dockerfile": "FROM scratch\nCOPY . /src\n",
		"a.txt":      "hello\n",
		"b.txt":      "world\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(ctxDir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cache := filepath.Join(root, "cache")
	res, err := builder.Build(context.Background(), builder.WithContextDir(ctxDir),
		builder.WithCacheDir(cache), builder.WithEpoch(time.Unix(1700000000, 0)))
	if err != nil {
		t.Fatalf("building: %v", err)
	}
	art, err := NewArtifact(res.Artifact())
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(root, "out")
	if _, err := PublishArtifact(testCtx(t), art, []Reference{mustRef(t, "oci:"+out+":v1")}, nil); err != nil {
		t.Fatalf("publishing to the layout: %v", err)
	}
	layers, err := res.Image.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers: %v %v", len(layers), err)
	}
	h, _ := layers[0].Digest()
	inode := func(p string) (uint64, uint64) {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatalf("the layer blob is missing: %v", err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		return st.Ino, uint64(st.Nlink)
	}
	inCache, links := inode(filepath.Join(cache, "blobs", "sha256", h.Hex))
	inLayout, _ := inode(filepath.Join(out, "blobs", "sha256", h.Hex))
	if inCache != inLayout || links < 2 {
		t.Fatalf("layer %s: cache inode %d, layout inode %d (%d links): written twice", h, inCache, inLayout, links)
	}

	// The layout is whole: the image reads back and its layer hashes to its digest.
	ii, err := layout.ImageIndexFromPath(out)
	if err != nil {
		t.Fatal(err)
	}
	img, err := ii.Image(art.Digest())
	if err != nil {
		t.Fatalf("reading the image back from the layout: %v", err)
	}
	ls, err := img.Layers()
	if err != nil || len(ls) != 1 {
		t.Fatalf("layers read back: %d %v", len(ls), err)
	}
	rc, err := ls[0].Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, _, err := v1.SHA256(rc)
	if err != nil || got != h {
		t.Fatalf("layer read back from the layout hashes to %s (%v), want %s", got, err, h)
	}
}
