package buildkit

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// TestEmbeddedAgainstBuildKit builds the same inputs with both builders and
// reports what differs in their images (the README's "Builders" section
// quotes it). The root file systems must be the same; the digests may not
// be, and the log says why.
func TestEmbeddedAgainstBuildKit(t *testing.T) {
	addr := daemonAddr(t)
	a, err := ParseAddress(addr)
	if err != nil {
		t.Fatal(err)
	}
	base := registrytest.BusyboxImage(t)
	for name, files := range map[string]map[string]string{
		"scratch-copy": {"Dockerfile": "FROM scratch\nCOPY hello.txt /hello.txt\nENV APP=1\n", "hello.txt": "hello\n"},
		"multi-stage":  multiStage,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, files)
			secret := filepath.Join(t.TempDir(), "token")
			if err := os.WriteFile(secret, []byte("s3cret-token"), 0o600); err != nil {
				t.Fatal(err)
			}
			opts := []builder.Option{
				builder.WithContextDir(dir),
				builder.WithNamedContext("base", builder.NamedContext{Image: base}),
				builder.WithSecrets(map[string]string{"token": secret}),
				builder.WithEpoch(time.Unix(1700000000, 0)),
				builder.WithCacheDir(t.TempDir()),
			}
			emb, err := builder.Build(context.Background(), opts...)
			if err != nil {
				t.Fatalf("embedded: %v", err)
			}
			bk, err := Build(context.Background(), a, nil, opts...)
			if err != nil {
				t.Fatalf("buildkit: %v", err)
			}
			compareImages(t, emb.Image, bk.Image)
		})
	}
}

func compareImages(t *testing.T, emb, bk v1.Image) {
	t.Helper()
	ed, _ := emb.Digest()
	bd, _ := bk.Digest()
	t.Logf("image digest: embedded %s, buildkit %s (same: %v)", ed, bd, ed == bd)
	ecf, _ := emb.RawConfigFile()
	bcf, _ := bk.RawConfigFile()
	var em, bm map[string]any
	json.Unmarshal(ecf, &em)
	json.Unmarshal(bcf, &bm)
	for k := range union(em, bm) {
		if !reflect.DeepEqual(em[k], bm[k]) {
			t.Logf("config %s:\n  embedded %v\n  buildkit %v", k, em[k], bm[k])
		}
	}
	el, _ := emb.Layers()
	bl, _ := bk.Layers()
	for i := 0; i < len(el) && i < len(bl); i++ {
		ed, _ := el[i].Digest()
		bd, _ := bl[i].Digest()
		eid, _ := el[i].DiffID()
		bid, _ := bl[i].DiffID()
		t.Logf("layer %d: digest same %v, diffID same %v", i, ed == bd, eid == bid)
	}
	et, bt := layerTrees(t, emb), layerTrees(t, bk)
	if len(et) != len(bt) {
		t.Errorf("embedded has %d layers, buildkit %d", len(et), len(bt))
	}
	if er, br := merged(et), merged(bt); !reflect.DeepEqual(er, br) {
		t.Errorf("root file systems differ:\n  embedded %v\n  buildkit %v", er, br)
	}
	for i := 0; i < len(et) && i < len(bt); i++ {
		for p := range union(et[i], bt[i]) {
			if et[i][p] != bt[i][p] {
				t.Logf("layer %d %s:\n  embedded %q\n  buildkit %q", i, p, et[i][p], bt[i][p])
			}
		}
	}
}

// merged is the root file system the layers make (no whiteouts here).
func merged(layers []map[string]string) map[string]string {
	out := map[string]string{}
	for _, l := range layers {
		for p, e := range l {
			out[p] = e
		}
	}
	return out
}

func union[V any](a, b map[string]V) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}
