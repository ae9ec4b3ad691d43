package buildcontext

import (
	"bufio"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sreevishnu07/stevedore/internal/atomicfile"
)

// Hasher computes content sums of files and remembers them by metadata
// (size, modification time, inode, device and mode), so a file that did not
// change is never read again. A missing or unreadable cache file just
// starts empty: a cache is never a reason to fail.
type Hasher struct {
	file string
	mu   sync.Mutex
	sums map[string]cachedSum
	// Hashed counts files whose content was read in this process.
	Hashed int
	dirty  bool
}

// racyWindow is how long a file must have been unmodified for its sum to be
// trusted on metadata alone later.
const racyWindow = 2 * time.Second

type cachedSum struct {
	Size    int64
	MtimeNs int64
	Ino     uint64
	Dev     uint64
	Mode    uint32
	Sum     [32]byte
}

// LoadHasher reads the sums remembered in file ("" for none, in memory).
func LoadHasher(file string) *Hasher {
	h := &Hasher{file: file, sums: map[string]cachedSum{}}
	if file == "" {
		return h
	}
	f, err := os.Open(file)
	if err != nil {
		return h
	}
	defer f.Close()
	if gob.NewDecoder(f).Decode(&h.sums) != nil {
		h.sums = map[string]cachedSum{}
	}
	return h
}

// Save writes the remembered sums back, atomically, if anything changed.
func (h *Hasher) Save() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.file == "" || !h.dirty {
		return nil
	}
	// Whole or not at all, and synced: a crash leaves the previous sums
	// (or none), never a file every later build would have to discard.
	f, err := atomicfile.Create(h.file, 0o600)
	if err != nil {
		return fmt.Errorf("saving file sums: %w", err)
	}
	defer f.Abort() // no-op after Commit
	w := bufio.NewWriter(f)
	if err := gob.NewEncoder(w).Encode(h.sums); err != nil {
		return fmt.Errorf("saving file sums: %w", err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("saving file sums: %w", err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("saving file sums: %w", err)
	}
	h.dirty = false
	return nil
}

// FileSum is one selected path and what it holds, for explaining cache
// misses ("src/main.go changed").
type FileSum struct {
	Path string // relative to the tree
	Sum  string // hex sha256 of the content, the link target for symlinks, "" for dirs
}

// Fingerprint identifies what a COPY selected: paths, types, permission
// bits, symlink targets and file contents. Owners and times are left out:
// COPY gives files root (or --chown) ownership and the layer writer clamps
// times to the build epoch.
type Fingerprint struct {
	Digest string // hex sha256 over Files
	Files  []FileSum
}

// Fingerprint computes the fingerprint of matches in t, hashing file
// contents in parallel, and only those whose metadata changed since they
// were last hashed.
func (h *Hasher) Fingerprint(t *Tree, matches []Match) (Fingerprint, error) {
	type job struct {
		i   int
		abs string
		e   Entry
	}
	var files []FileSum
	var jobs []job
	for mi, m := range matches {
		// The match boundary is part of the identity: the same files
		// selected by other patterns land elsewhere.
		files = append(files, FileSum{Path: fmt.Sprintf("#%d %s", mi, m.Root.Path)})
		for _, e := range m.Entries {
			fs := FileSum{Path: e.Path}
			switch {
			case e.Mode.IsRegular():
				jobs = append(jobs, job{i: len(files), abs: t.Abs(e), e: e})
			case e.Link != "":
				fs.Sum = "link:" + e.Link
			}
			files = append(files, fs)
		}
	}
	g := errgroup.Group{}
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, j := range jobs {
		g.Go(func() error {
			sum, err := h.sum(j.abs, j.e)
			if err != nil {
				return err
			}
			files[j.i].Sum = sum
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return Fingerprint{}, err
	}
	d := sha256.New()
	modes := modeIndex(matches)
	for _, f := range files {
		fmt.Fprintf(d, "%s\x00%o\x00%s\x00", f.Path, modes[f.Path], f.Sum)
	}
	return Fingerprint{Digest: hex.EncodeToString(d.Sum(nil)), Files: files}, nil
}

func modeIndex(matches []Match) map[string]uint32 {
	m := map[string]uint32{}
	for _, mt := range matches {
		for _, e := range mt.Entries {
			m[e.Path] = uint32(e.Mode)
		}
	}
	return m
}

func (h *Hasher) sum(abs string, e Entry) (string, error) {
	key := cachedSum{Size: e.Size, MtimeNs: e.ModTime.UnixNano(), Ino: e.Ino, Dev: e.Dev, Mode: uint32(e.Mode)}
	h.mu.Lock()
	c, ok := h.sums[abs]
	h.mu.Unlock()
	if ok {
		sum := c.Sum
		c.Sum = [32]byte{}
		if c == key {
			return hex.EncodeToString(sum[:]), nil
		}
	}
	f, err := os.Open(abs)
	if err != nil {
		return "", fmt.Errorf("hashing %s: %w", abs, err)
	}
	defer f.Close()
	var hh hash.Hash = sha256.New()
	if _, err := io.Copy(hh, f); err != nil {
		return "", fmt.Errorf("hashing %s: %w", abs, err)
	}
	copy(key.Sum[:], hh.Sum(nil))
	h.mu.Lock()
	h.Hashed++
	// A file written in the last moments may change again within the same
	// mtime tick without its metadata showing it (git's "racily clean"
	// problem): remember only sums of files that have been still a while.
	if time.Since(e.ModTime) > racyWindow {
		h.sums[abs] = key
		h.dirty = true
	}
	h.mu.Unlock()
	return hex.EncodeToString(key.Sum[:]), nil
}
