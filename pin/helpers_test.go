package pin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sreevishnu07/stevedore/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite golden files")

// hashResolver resolves every tag to sha256(tag name), or to an override.
type hashResolver struct {
	mu       sync.Mutex
	override map[string]v1.Hash
	calls    map[string]int
}

func (h *hashResolver) Resolve(_ context.Context, ref name.Reference) (v1.Hash, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.calls == nil {
		h.calls = map[string]int{}
	}
	h.calls[ref.Name()]++
	if d, ok := h.override[ref.Name()]; ok {
		return d, nil
	}
	return fakeDigest(ref.Name()), nil
}

func fakeDigest(s string) v1.Hash {
	sum := sha256.Sum256([]byte(s))
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
}

func digestOf(c byte) v1.Hash {
	b := make([]byte, 64)
	for i := range b {
		b[i] = c
	}
	return v1.Hash{Algorithm: "sha256", Hex: string(b)}
}

// copyTree copies testdata/src (or another dir) to a temporary directory.
func copyTree(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatalf("copying %s: %v", src, err)
	}
	return dst
}

func writeFile(t testing.TB, dir, rel, content string) string {
	t.Helper()
	p := filepath.Join(dir, rel)
	testutil.WriteFile(t, p, content)
	return p
}

func readFile(t testing.TB, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type failingResolver struct{}

func (failingResolver) Resolve(_ context.Context, ref name.Reference) (v1.Hash, error) {
	return v1.Hash{}, errors.New("registry says no")
}
