package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/sreevishnu07/stevedore/internal/filelock"
)

// A cache directory is shared by the builds that use it and by
// `stevedore cache prune`, which must never take away what a running build
// is using. Two locks make that hold without making either wait long:
//
//   - every build holds a lease for as long as it runs: a file under
//     leases/ it keeps locked, whose modification time is when it started;
//   - every use of an entry (a step record read, a blob checked, a cache
//     mount bound) first touches the entry under a shared lock on UseLock,
//     and prune decides and renames under the exclusive one.
//
// So when prune looks at an entry, either the entry's use has touched it
// (its time is after the start of a live build, and prune keeps it), or the
// use has not begun and finds the entry gone: a cache miss, never a build
// that fails half-way.

// UseLock is the file whose lock orders uses of entries against prune.
const UseLock = "use.lock"

// LeaseDir holds the leases of running builds.
const LeaseDir = "leases"

// Lease is a running build's claim on the cache directory.
type Lease struct {
	dir  string
	f    *os.File
	made bool // Acquire created dir
}

// Acquire takes a lease on the cache directory dir for one build. Release
// it when the build ends; a killed build's lease ends with its process.
func Acquire(dir string) (*Lease, error) {
	_, err := os.Stat(dir)
	made := errors.Is(err, fs.ErrNotExist)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("taking a lease on the cache %s: %w", dir, err)
	}
	unlock, err := lockShared(filepath.Join(dir, UseLock))
	if err != nil {
		return nil, fmt.Errorf("taking a lease on the cache %s: %w", dir, err)
	}
	defer unlock()
	if err := os.MkdirAll(filepath.Join(dir, LeaseDir), 0o755); err != nil {
		return nil, fmt.Errorf("taking a lease on the cache %s: %w", dir, err)
	}
	f, err := os.CreateTemp(filepath.Join(dir, LeaseDir), "build-")
	if err != nil {
		return nil, fmt.Errorf("taking a lease on the cache %s: %w", dir, err)
	}
	if err := lockFile(f, true); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("taking a lease on the cache %s: %w", dir, err)
	}
	return &Lease{dir: dir, f: f, made: made}, nil
}

// Release ends the lease. A cache directory the lease made and nothing
// used (a release refused in its plan step) is removed again: a command
// that did nothing leaves nothing behind.
func (l *Lease) Release() {
	if l == nil || l.f == nil {
		return
	}
	os.Remove(l.f.Name())
	l.f.Close()
	l.f = nil
	if l.made {
		l.unmake()
	}
}

// unmake removes the lease directory and the use lock of a cache directory
// holding nothing else, if no build holds the use lock meanwhile.
func (l *Lease) unmake() {
	if os.Remove(filepath.Join(l.dir, LeaseDir)) != nil {
		return // another build's lease
	}
	entries, err := os.ReadDir(l.dir)
	if err != nil || len(entries) != 1 || entries[0].Name() != UseLock {
		return
	}
	unlock, held, err := filelock.TryLock(filepath.Join(l.dir, UseLock))
	if err != nil || held {
		return
	}
	defer unlock()
	if os.Remove(filepath.Join(l.dir, UseLock)) == nil {
		os.Remove(l.dir)
	}
}

// Use marks the entries at paths as used now, so prune keeps them while
// this build runs and counts them as recently used afterwards. It reports
// false if one of them is not there (removed meanwhile: a miss). A nil
// lease (no cache directory to share) only checks.
func (l *Lease) Use(paths ...string) bool {
	if l == nil {
		return exist(paths)
	}
	unlock, err := lockShared(filepath.Join(l.dir, UseLock))
	if err != nil {
		return exist(paths)
	}
	defer unlock()
	now := time.Now()
	for _, p := range paths {
		if err := os.Chtimes(p, now, now); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return false
			}
			// A read-only cache can still be read: it is only not marked.
			if _, serr := os.Lstat(p); serr != nil {
				return false
			}
		}
	}
	return true
}

func exist(paths []string) bool {
	for _, p := range paths {
		if _, err := os.Lstat(p); err != nil {
			return false
		}
	}
	return true
}

// Exclusive waits for the exclusive use lock of the cache directory dir:
// while it is held no build starts using an entry. It returns when the
// oldest live build started (zero when none runs) and the function that
// lets go of the lock. Leases of builds that are gone are removed.
func Exclusive(dir string) (oldestLive time.Time, unlock func(), err error) {
	unlock, err = lockExclusive(filepath.Join(dir, UseLock))
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("locking the cache %s: %w", dir, err)
	}
	entries, err := os.ReadDir(filepath.Join(dir, LeaseDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		unlock()
		return time.Time{}, nil, fmt.Errorf("reading the builds using the cache %s: %w", dir, err)
	}
	for _, e := range entries {
		p := filepath.Join(dir, LeaseDir, e.Name())
		live, start, err := leaseLive(p)
		if err != nil {
			continue // gone meanwhile
		}
		if !live {
			os.Remove(p)
			continue
		}
		if oldestLive.IsZero() || start.Before(oldestLive) {
			oldestLive = start
		}
	}
	return oldestLive, unlock, nil
}

// leaseLive reports whether the lease file at p is held by a live build,
// and when that build started.
func leaseLive(p string) (bool, time.Time, error) {
	f, held, err := tryHoldDir(p) // a lease is held as a directory is: by an open file's lock
	if err != nil {
		return false, time.Time{}, err
	}
	if !held {
		f.Close()
		return false, time.Time{}, nil
	}
	fi, err := os.Stat(p)
	if err != nil {
		return false, time.Time{}, err
	}
	return true, fi.ModTime(), nil
}

// HeldByBuild reports whether a live build holds the work directory dir.
func HeldByBuild(dir string) bool {
	f, held, err := tryHoldDir(dir)
	if err != nil {
		return false
	}
	if f != nil {
		f.Close()
	}
	return held
}
