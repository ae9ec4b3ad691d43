package layer

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// testEpoch is a build epoch in the past of every test run.
var testEpoch = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

type tarEntry struct {
	hdr  *tar.Header
	data []byte
}

// readLayer reads a written layer back three ways: the hashes of the file,
// archive/tar over Uncompressed, and go-containerregistry's own reading of
// the blob, which must agree with the precomputed hashes.
func readLayer(t *testing.T, l *Layer) []tarEntry {
	t.Helper()
	blob, err := os.ReadFile(l.Path())
	if err != nil {
		t.Fatal(err)
	}
	d, _ := l.Digest()
	if sum := sha256.Sum256(blob); hex.EncodeToString(sum[:]) != d.Hex {
		t.Fatalf("digest %s does not match the file", d)
	}
	if n, _ := l.Size(); n != int64(len(blob)) {
		t.Fatalf("size %d, file has %d bytes", n, len(blob))
	}
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	raw, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	diffID, _ := l.DiffID()
	if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) != diffID.Hex {
		t.Fatalf("diffID %s does not match the tar", diffID)
	}
	mt, _ := l.MediaType()
	gl, err := tarball.LayerFromFile(l.Path(), tarball.WithMediaType(mt))
	if err != nil {
		t.Fatal(err)
	}
	if gd, err := gl.Digest(); err != nil || gd != d {
		t.Fatalf("ggcr digest %v (%v), want %v", gd, err, d)
	}
	if gdiff, err := gl.DiffID(); err != nil || gdiff != diffID {
		t.Fatalf("ggcr diffID %v (%v), want %v", gdiff, err, diffID)
	}
	var out []tarEntry
	tr := tar.NewReader(bytes.NewReader(raw))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tarEntry{h, data})
	}
	return out
}

func names(es []tarEntry) []string {
	var n []string
	for _, e := range es {
		n = append(n, e.hdr.Name)
	}
	return n
}

func mustWrite(t testing.TB, c *Changes, opts ...Option) *Layer {
	t.Helper()
	l, err := Write(t.Context(), c, t.TempDir(), append([]Option{WithEpoch(testEpoch)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func digestOf(t testing.TB, l *Layer) string {
	t.Helper()
	d, err := l.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// put creates a file (and its parents) with content and mode.
func put(t testing.TB, root, rel, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	// Chmod after writing: the umask would drop bits such as setuid.
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
