// Package store keeps image content on disk by digest, so base images are
// downloaded once and every later build reads them locally. The directory is
// an OCI image layout's blob tree (DIR/blobs/sha256/HEX); every blob is
// verified against its digest before it becomes visible under that name.
package store

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Store is a content-addressed blob store. It is safe for concurrent use by
// several goroutines and processes: blobs are written to a temporary file
// and renamed into place once their digest checks out.
type Store struct {
	dir string
}

// Open opens (creating if needed) the store at dir.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
		return nil, fmt.Errorf("opening image store %s: %w", dir, err)
	}
	layoutFile := filepath.Join(dir, "oci-layout")
	if _, err := os.Stat(layoutFile); errors.Is(err, fs.ErrNotExist) {
		if err := os.WriteFile(layoutFile, []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644); err != nil {
			return nil, fmt.Errorf("opening image store %s: %w", dir, err)
		}
	}
	return &Store{dir: dir}, nil
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// Path is where the blob h lives (whether or not it is there yet).
func (s *Store) Path(h v1.Hash) string {
	return filepath.Join(s.dir, "blobs", h.Algorithm, h.Hex)
}

// Has reports whether the blob h is in the store.
func (s *Store) Has(h v1.Hash) bool {
	fi, err := os.Stat(s.Path(h))
	return err == nil && fi.Mode().IsRegular()
}

// Open opens the blob h for reading.
func (s *Store) Open(h v1.Hash) (io.ReadCloser, error) {
	f, err := os.Open(s.Path(h))
	if err != nil {
		return nil, fmt.Errorf("reading blob %s from the image store: %w", h, err)
	}
	return f, nil
}

// ReadBlob returns the whole blob h (for manifests and configs).
func (s *Store) ReadBlob(h v1.Hash) ([]byte, error) {
	b, err := os.ReadFile(s.Path(h))
	if err != nil {
		return nil, fmt.Errorf("reading blob %s from the image store: %w", h, err)
	}
	return b, nil
}

// ErrDigestMismatch means content did not hash to the digest that named it.
var ErrDigestMismatch = errors.New("digest mismatch")

// WriteBlob stores the content of r under h, verifying it hashes to h. A blob
// already present is not written again (r is not read).
func (s *Store) WriteBlob(h v1.Hash, r io.Reader) error {
	if h.Algorithm != "sha256" {
		return fmt.Errorf("storing blob %s: only sha256 digests are supported", h)
	}
	if s.Has(h) {
		return nil
	}
	final := s.Path(h)
	tmp, err := os.CreateTemp(filepath.Dir(final), ".tmp-"+h.Hex[:12]+"-")
	if err != nil {
		return fmt.Errorf("storing blob %s: %w", h, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	sum := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, sum), r); err != nil {
		tmp.Close()
		return fmt.Errorf("storing blob %s: %w", h, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("storing blob %s: %w", h, err)
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != h.Hex {
		return fmt.Errorf("storing blob %s: %w: content hashes to sha256:%s", h, ErrDigestMismatch, got)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return fmt.Errorf("storing blob %s: %w", h, err)
	}
	return nil
}
