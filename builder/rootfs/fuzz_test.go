package rootfs

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzApplyTar extracts arbitrary tar streams: whatever they hold, nothing
// may be written outside the root and nothing may panic.
func FuzzApplyTar(f *testing.F) {
	seeds := [][]entry{
		{file("a", "1"), dir("d/"), symlink("l", "../../x"), hardlink("h", "a")},
		{symlink("up", "/"), file("up/etc/passwd", "x")},
		{file("d/.wh..wh..opq", ""), file(".wh.a", "")},
	}
	for _, s := range seeds {
		var buf bytes.Buffer
		r := layerTar(&testing.T{}, s...)
		buf.ReadFrom(r)
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		base := t.TempDir()
		sentinel := filepath.Join(base, "sentinel")
		if err := os.WriteFile(sentinel, []byte("keep"), 0o644); err != nil {
			t.Fatal(err)
		}
		root := filepath.Join(base, "root")
		_, _ = ApplyTar(context.Background(), root, bytes.NewReader(data))
		entries, err := os.ReadDir(base)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Name() != "root" && e.Name() != "sentinel" {
				t.Fatalf("extraction wrote %s outside the root", e.Name())
			}
		}
		if b, err := os.ReadFile(sentinel); err != nil || string(b) != "keep" {
			t.Fatalf("extraction changed a file outside the root")
		}
	})
}
