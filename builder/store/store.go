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
	"regexp"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sreevishnu07/stevedore/internal/atomicfile"
)

// Store is a content-addressed blob store. It is safe for concurrent use by
// several goroutines and processes: blobs are written to a temporary file
// and renamed into place once their digest checks out.
type Store struct {
	dir   string
	lease *Lease
}

// SetLease makes every later check or read of a blob a use under l, so a
// concurrent prune keeps the blobs this build relies on.
func (s *Store) SetLease(l *Lease) { s.lease = l }

// Lease is the lease SetLease gave, or nil.
func (s *Store) Lease() *Lease { return s.lease }

// use marks the blob h as used; false means it is not there.
func (s *Store) use(h v1.Hash) bool {
	if s.lease == nil {
		return true
	}
	return s.lease.Use(s.Path(h))
}

// Open opens (creating if needed) the store at dir, first removing the
// temporary files of writes a killed run never finished (see Sweep) and
// the build directories of builds that are gone (see SweepWork).
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
		return nil, fmt.Errorf("opening image store %s: %w", dir, err)
	}
	cutoff := time.Now().Add(-StaleAfter)
	if _, err := Sweep(dir, cutoff); err != nil {
		return nil, fmt.Errorf("opening image store %s: %w", dir, err)
	}
	s := &Store{dir: dir}
	if _, err := s.SweepWork(cutoff); err != nil {
		return nil, fmt.Errorf("opening image store %s: %w", dir, err)
	}
	layoutFile := filepath.Join(dir, "oci-layout")
	if _, err := os.Stat(layoutFile); errors.Is(err, fs.ErrNotExist) {
		if err := atomicfile.WriteFile(layoutFile, []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644); err != nil {
			return nil, fmt.Errorf("opening image store %s: %w", dir, err)
		}
	}
	return s, nil
}

// StaleAfter is how long a temporary file in the store must have been
// untouched before Open removes it. The store may be shared by builds
// running at the same time, and a write in progress keeps touching its
// file: ten minutes of silence means its writer is gone.
const StaleAfter = 10 * time.Minute

// Other temporary names in the cache: blobs of earlier versions
// (".tmp-HEX12-DIGITS"), layers being compressed (".layer-DIGITS.tmp",
// named by their digest only once written) and context sums
// (".sums-DIGITS").
var (
	blobTempRE = regexp.MustCompile(`^\.(?:tmp-[0-9a-f]{12}-[0-9]+|layer-[0-9]+\.tmp)$`)
	sumsTempRE = regexp.MustCompile(`^\.sums-[0-9]+$`)
)

// Sweep removes temporary files last modified before cutoff from the
// directories the store and the build cache write whole files into (blobs,
// step records, context sums), never from RUN cache mounts or work
// directories, which hold build content. It returns how many it removed.
func Sweep(dir string, cutoff time.Time) (int, error) {
	dirs := []string{dir, filepath.Join(dir, "blobs", "sha256"), filepath.Join(dir, "last"), filepath.Join(dir, "sums")}
	if steps, err := os.ReadDir(filepath.Join(dir, "steps")); err == nil {
		for _, e := range steps {
			if e.IsDir() {
				dirs = append(dirs, filepath.Join(dir, "steps", e.Name()))
			}
		}
	}
	total := 0
	for _, d := range dirs {
		n, err := atomicfile.Sweep(d, cutoff)
		total += n
		if err != nil {
			return total, err
		}
	}
	for d, re := range map[string]*regexp.Regexp{filepath.Join(dir, "blobs", "sha256"): blobTempRE, filepath.Join(dir, "sums"): sumsTempRE} {
		n, err := atomicfile.SweepMatching(d, cutoff, re)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// Path is where the blob h lives (whether or not it is there yet).
func (s *Store) Path(h v1.Hash) string {
	return filepath.Join(s.dir, "blobs", h.Algorithm, h.Hex)
}

// Has reports whether the blob h is in the store.
func (s *Store) Has(h v1.Hash) bool {
	if !s.use(h) {
		return false
	}
	fi, err := os.Stat(s.Path(h))
	return err == nil && fi.Mode().IsRegular()
}

// Open opens the blob h for reading. The read that reaches the end fails
// with ErrDigestMismatch if the content is not h's.
func (s *Store) Open(h v1.Hash) (io.ReadCloser, error) {
	s.use(h)
	f, err := os.Open(s.Path(h))
	if err != nil {
		return nil, fmt.Errorf("reading blob %s from the image store: %w", h, err)
	}
	return &verifyingReader{f: f, s: s, h: h, sum: sha256.New()}, nil
}

// ReadBlob returns the whole blob h (for manifests and configs), verified
// against its digest.
func (s *Store) ReadBlob(h v1.Hash) ([]byte, error) {
	s.use(h)
	b, err := os.ReadFile(s.Path(h))
	if err != nil {
		return nil, fmt.Errorf("reading blob %s from the image store: %w", h, err)
	}
	sum := sha256.New()
	sum.Write(b)
	if hex.EncodeToString(sum.Sum(nil)) != h.Hex {
		s.discard(h)
		return nil, mismatch(h, sum)
	}
	return b, nil
}

// ErrDigestMismatch means content did not hash to the digest that named it.
var ErrDigestMismatch = errors.New("digest mismatch")

// WriteBlob stores the content of r under h, verifying it hashes to h. A blob
// already present whole is not written again (r is not read); a damaged one
// is replaced.
func (s *Store) WriteBlob(h v1.Hash, r io.Reader) error {
	if h.Algorithm != "sha256" {
		return fmt.Errorf("storing blob %s: only sha256 digests are supported", h)
	}
	if s.Verify(h) {
		return nil
	}
	// Streamed to a temporary file and verified before it takes its name;
	// synced, so a crash can never leave a blob whose content is not its
	// digest's.
	f, err := atomicfile.Create(s.Path(h), 0o644)
	if err != nil {
		return fmt.Errorf("storing blob %s: %w", h, err)
	}
	defer f.Abort() // no-op after Commit
	sum := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, sum), r); err != nil {
		return fmt.Errorf("storing blob %s: %w", h, err)
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != h.Hex {
		return fmt.Errorf("storing blob %s: %w: content hashes to sha256:%s", h, ErrDigestMismatch, got)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("storing blob %s: %w", h, err)
	}
	return nil
}
