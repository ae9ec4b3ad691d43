package publish

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// Temporary files a killed run left in a layout are removed by the next
// publish into it; finished blobs, foreign files and a temp file of a write
// still in progress are kept.
func TestPublishSweepsStaleLayoutTemps(t *testing.T) {
	ctx := testCtx(t)
	src, _ := layoutWith(t, "v1", registrytest.Image(t, 1, 256))
	dir := filepath.Join(t.TempDir(), "out")
	if _, err := Publish(ctx, src, []Reference{mustRef(t, "oci:"+dir+":v1")}, nil); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	blobs := filepath.Join(dir, "blobs", "sha256")
	hex := strings.Repeat("ab", 32)
	old := time.Now().Add(-time.Hour)
	write := func(p string, mtime time.Time) {
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	stale := []string{filepath.Join(blobs, hex+"123456789"), filepath.Join(blobs, "987654321"), filepath.Join(dir, ".index.json.tmp-42")}
	keep := []string{filepath.Join(blobs, hex), filepath.Join(blobs, "README"), filepath.Join(dir, "notes.txt")}
	for _, p := range append(append([]string(nil), stale...), keep...) {
		write(p, old)
	}
	inProgress := filepath.Join(blobs, hex+"555")
	write(inProgress, time.Now().Add(time.Hour))
	keep = append(keep, inProgress)

	src2, _ := layoutWith(t, "v2", registrytest.Image(t, 1, 512))
	if _, err := Publish(ctx, src2, []Reference{mustRef(t, "oci:"+dir+":v2")}, nil); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	for _, p := range stale {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("stale temp %s not removed", p)
		}
	}
	for _, p := range keep {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s removed: %v", p, err)
		}
	}
	if _, err := ParseReference("oci:" + dir + ":v1"); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(ctx, mustRef(t, "oci:"+dir+":v1")); err != nil {
		t.Errorf("layout unreadable after the sweep: %v", err)
	}
}
