package cachedir

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sreevishnu07/stevedore/builder/store"
	"github.com/sreevishnu07/stevedore/internal/filelock"
)

// PruneOptions choose what Prune removes. The zero value removes every
// entry of a kind stevedore knows that no running build may be using.
type PruneOptions struct {
	// All also removes entries stevedore does not know.
	All bool
	// Until keeps entries used within this long before the prune; zero
	// keeps none for their age.
	Until time.Duration
	// KeepStorage, when above zero, removes only the least recently used
	// entries (among those the other options allow) until the cache holds
	// at most this many bytes.
	KeepStorage int64
	// DryRun removes nothing: the result is what would be removed.
	DryRun bool
	// Now is the prune's clock (default time.Now).
	Now func() time.Time
}

// PruneResult is what a prune removed (or would have, in a dry run).
type PruneResult struct {
	Removed []Entry
	// Reclaimed is the bytes of Removed.
	Reclaimed int64
	// Kept counts entries kept because a running build may be using them.
	Kept int
}

// Prune removes entries from the cache directory dir as o says. Each is
// renamed into a trash directory first, under the cache's exclusive use
// lock, and deleted after: a prune killed half-way leaves whole entries
// and a trash directory the next prune removes, never a half-deleted
// entry under a valid name.
func Prune(ctx context.Context, dir string, o PruneOptions) (*PruneResult, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	now := o.Now()
	entries, err := scan(ctx, dir)
	if err != nil {
		return nil, err
	}
	res := &PruneResult{Removed: []Entry{}}
	if len(entries) == 0 {
		return res, nil
	}
	// Decided and renamed under the exclusive lock: no build starts using
	// an entry meanwhile, and what one used before is touched, so seen here.
	live, unlock, err := store.Exclusive(dir)
	if err != nil {
		return nil, err
	}
	locked := true
	defer func() {
		if locked {
			unlock()
		}
	}()
	if err := restat(dir, entries); err != nil {
		return nil, err
	}
	markInUse(dir, entries, live)
	chosen := choose(entries, o, now, res)
	if o.DryRun {
		res.Removed = chosen
		res.Reclaimed = total(chosen)
		return res, nil
	}
	var trash string
	for _, e := range chosen {
		if err := ctx.Err(); err != nil {
			break // what was moved is deleted below; the rest stays whole
		}
		if trash == "" {
			if trash, err = os.MkdirTemp(dir, trashPrefix); err != nil {
				return nil, fmt.Errorf("pruning the cache %s: %w", dir, err)
			}
		}
		moved, err := moveToTrash(dir, trash, e, len(res.Removed))
		if errors.Is(err, errHeld) {
			res.Kept++
			continue
		}
		if err != nil {
			return nil, err
		}
		if moved {
			res.Removed = append(res.Removed, e)
			res.Reclaimed += e.Size
		}
	}
	unlock()
	locked = false
	if trash != "" {
		if err := os.RemoveAll(trash); err != nil {
			return res, fmt.Errorf("deleting pruned cache entries in %s: %w (run stevedore cache prune again to finish)", trash, err)
		}
	}
	return res, ctx.Err()
}

// restat refreshes the use times scanned before the lock was taken.
func restat(dir string, entries []Entry) error {
	for i := range entries {
		fi, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(entries[i].Name)))
		if errors.Is(err, fs.ErrNotExist) {
			entries[i].Kind = "" // gone meanwhile
			continue
		}
		if err != nil {
			return fmt.Errorf("reading the cache entry %s: %w", entries[i].Name, err)
		}
		entries[i].LastUsed = fi.ModTime()
	}
	return nil
}

// choose picks the entries to remove, counting those kept for a running
// build in res.
func choose(entries []Entry, o PruneOptions, now time.Time, res *PruneResult) []Entry {
	var size int64
	var cands []Entry
	for _, e := range entries {
		if e.Kind == "" {
			continue
		}
		size += e.Size
		switch {
		case e.InUse:
			res.Kept++
		case e.Kind == Unknown && !o.All:
		case e.Kind != Trash && o.Until > 0 && !e.LastUsed.Before(now.Add(-o.Until)):
		default:
			cands = append(cands, e)
		}
	}
	if o.KeepStorage <= 0 {
		return cands
	}
	// Least recently used first; trash (nobody's) before anything.
	slices.SortStableFunc(cands, func(a, b Entry) int {
		if (a.Kind == Trash) != (b.Kind == Trash) {
			if a.Kind == Trash {
				return -1
			}
			return 1
		}
		return a.LastUsed.Compare(b.LastUsed)
	})
	var out []Entry
	for _, e := range cands {
		if size <= o.KeepStorage {
			break
		}
		out = append(out, e)
		size -= e.Size
	}
	return out
}

func total(entries []Entry) int64 {
	var n int64
	for _, e := range entries {
		n += e.Size
	}
	return n
}

// errHeld means a build holds the entry's own lock.
var errHeld = errors.New("held by a build")

// moveToTrash renames e (and the files that go with it) into trash; false
// if it was gone already.
func moveToTrash(dir, trash string, e Entry, n int) (bool, error) {
	names := append([]string{e.Name}, e.extra...)
	// A git entry is filled under its lock file (KEY.lock), as builds
	// take it: one held is being written, whatever its times say.
	if e.Kind == Git {
		key := filepath.Join(dir, filepath.FromSlash(e.Name))
		if i := strings.Index(filepath.Base(key), ".tmp-"); i >= 0 {
			key = filepath.Join(filepath.Dir(key), filepath.Base(key)[:i]) // KEY.tmp-N is KEY being filled
		}
		lock := strings.TrimSuffix(key, ".lock") + ".lock"
		unlock, held, err := filelock.TryLock(lock)
		if err != nil {
			return false, err
		}
		if held {
			return false, errHeld
		}
		defer unlock()
	}
	moved := false
	for i, name := range names {
		from := filepath.Join(dir, filepath.FromSlash(name))
		to := filepath.Join(trash, fmt.Sprintf("%d-%d", n, i))
		if err := os.Rename(from, to); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return moved, fmt.Errorf("removing the cache entry %s: %w", from, err)
		}
		moved = moved || i == 0
	}
	return moved, nil
}
