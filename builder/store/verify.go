package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// A blob's name is a claim about its content that the store never takes on
// trust: a blob written by an older stevedore that did not sync, or on a
// disk that lost its tail in a crash, can sit under its digest's name cut
// short. Checks cost what they must: the size (a stat) where the caller
// knows it, the whole digest for small blobs read at once, and a digest
// check on the fly for streamed ones. A blob that fails is removed, so the
// next build downloads or rebuilds it.

// HasBlob reports whether the blob h is in the store with the size a
// descriptor or cache record gives for it. A stored blob of another size is
// removed and reported missing.
func (s *Store) HasBlob(h v1.Hash, size int64) bool {
	if !s.use(h) {
		return false
	}
	fi, err := os.Stat(s.Path(h))
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	if fi.Size() != size {
		s.discard(h)
		return false
	}
	return true
}

// Verify reports whether the blob h is in the store and hashes to h,
// removing it if it does not.
func (s *Store) Verify(h v1.Hash) bool {
	if !s.use(h) {
		return false
	}
	f, err := os.Open(s.Path(h))
	if err != nil {
		return false
	}
	defer f.Close()
	sum := sha256.New()
	if _, err := io.Copy(sum, f); err != nil {
		return false
	}
	if hex.EncodeToString(sum.Sum(nil)) != h.Hex {
		s.discard(h)
		return false
	}
	return true
}

// discard removes a damaged blob. If it cannot (a read-only store) the
// check that found it still refuses it.
func (s *Store) discard(h v1.Hash) {
	_ = os.Remove(s.Path(h))
}

func mismatch(h v1.Hash, got hash.Hash) error {
	return fmt.Errorf("reading blob %s from the image store: %w: content hashes to sha256:%s (a damaged cache entry, now removed; run the build again to fetch or rebuild it)",
		h, ErrDigestMismatch, hex.EncodeToString(got.Sum(nil)))
}

// verifyingReader hashes a stored blob as it is read and fails the read
// that reaches its end if the content is not the digest's.
type verifyingReader struct {
	f   *os.File
	s   *Store
	h   v1.Hash
	sum hash.Hash
}

func (r *verifyingReader) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	r.sum.Write(p[:n])
	if err == io.EOF && hex.EncodeToString(r.sum.Sum(nil)) != r.h.Hex {
		r.s.discard(r.h)
		return n, mismatch(r.h, r.sum)
	}
	return n, err
}

func (r *verifyingReader) Close() error { return r.f.Close() }
