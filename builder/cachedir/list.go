// Package cachedir reads and prunes a stevedore cache directory (the
// --cache-dir of build, sbom and release): what each kind of entry holds,
// how big it is, when a build last used it, and removing entries no
// running build can be using.
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
)

// Kind is what a cache entry is for.
type Kind string

// The kinds, in the order they are reported.
const (
	Blobs       Kind = "blobs"        // image store: layers, configs, manifests
	Steps       Kind = "steps"        // step records: a step's key to the layer it made
	LastInputs  Kind = "last-inputs"  // each step position's last inputs, to say why a step missed
	ContextSums Kind = "context-sums" // file sums of a build context, so unchanged files are not read
	RunMounts   Kind = "run-mounts"   // RUN --mount=type=cache directories
	Git         Kind = "git"          // fetched git repositories
	SBOM        Kind = "sbom"         // SBOM documents per image
	SBOMLayers  Kind = "sbom-layers"  // SBOM catalogs per layer
	Work        Kind = "work"         // scratch directories of builds (running or killed)
	Trash       Kind = "trash"        // what an interrupted prune had renamed away
	Unknown     Kind = "unknown"      // anything stevedore did not write
)

// Kinds lists every kind in report order.
func Kinds() []Kind {
	return []Kind{Blobs, Steps, LastInputs, ContextSums, RunMounts, Git, SBOM, SBOMLayers, Work, Trash, Unknown}
}

// layout maps a top-level directory to its kind and the depth of its
// entries below it (steps/AB/KEY.json is at depth 2).
var layout = map[string]struct {
	kind  Kind
	depth int
}{
	"blobs":       {Blobs, 2},
	"steps":       {Steps, 2},
	"last":        {LastInputs, 1},
	"sums":        {ContextSums, 1},
	"mounts":      {RunMounts, 1},
	"git":         {Git, 1},
	"sbom":        {SBOM, 1},
	"sbom-layers": {SBOMLayers, 1},
}

// Bookkeeping files of the cache itself: never entries.
var bookkeeping = []string{"oci-layout", store.UseLock, store.LeaseDir}

const (
	workPrefix  = "work-"
	trashPrefix = ".trash-"
)

// Entry is one removable thing in the cache.
type Entry struct {
	Kind Kind
	// Name is the entry's path relative to the cache directory, with
	// slashes.
	Name string
	// Size is the bytes of its regular files.
	Size int64
	// LastUsed is when a build last used it (its modification time: every
	// use touches it).
	LastUsed time.Time
	// InUse means a running build may be using it: prune keeps it.
	InUse bool
	// extra are files removed with the entry (a git entry's lock file).
	extra []string
}

// List returns the entries of the cache directory dir, by kind and then
// name. A directory that does not exist is an empty cache.
func List(ctx context.Context, dir string) ([]Entry, error) {
	entries, err := scan(ctx, dir)
	if err != nil {
		return nil, err
	}
	live, err := liveSince(dir)
	if err != nil {
		return nil, err
	}
	markInUse(dir, entries, live)
	return entries, nil
}

// liveSince is when the oldest running build started (zero if none).
func liveSince(dir string) (time.Time, error) {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return time.Time{}, nil
	}
	oldest, unlock, err := store.Exclusive(dir)
	if err != nil {
		return time.Time{}, err
	}
	unlock()
	return oldest, nil
}

// markInUse flags what a running build may be using: whatever was used
// since the oldest of them started, and the scratch directories they hold.
func markInUse(dir string, entries []Entry, live time.Time) {
	for i := range entries {
		e := &entries[i]
		switch e.Kind {
		case Trash:
			e.InUse = false
		case Work:
			e.InUse = store.HeldByBuild(filepath.Join(dir, filepath.FromSlash(e.Name)))
		default:
			e.InUse = !live.IsZero() && !e.LastUsed.Before(live)
		}
	}
}

func scan(ctx context.Context, dir string) ([]Entry, error) {
	top, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return []Entry{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the cache %s: %w", dir, err)
	}
	out := []Entry{}
	for _, t := range top {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		name := t.Name()
		if slices.Contains(bookkeeping, name) {
			continue
		}
		if l, ok := layout[name]; ok && t.IsDir() {
			got, err := scanKind(ctx, dir, name, l.kind, l.depth)
			if err != nil {
				return nil, err
			}
			out = append(out, got...)
			continue
		}
		kind := Unknown
		switch {
		case t.IsDir() && strings.HasPrefix(name, workPrefix):
			kind = Work
		case t.IsDir() && strings.HasPrefix(name, trashPrefix):
			kind = Trash
		}
		e, err := entryAt(dir, name, kind)
		if err != nil {
			return nil, err
		}
		if e != nil {
			out = append(out, *e)
		}
	}
	slices.SortFunc(out, func(a, b Entry) int {
		if c := slices.Index(Kinds(), a.Kind) - slices.Index(Kinds(), b.Kind); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// scanKind lists the entries depth levels below dir/name.
func scanKind(ctx context.Context, dir, name string, kind Kind, depth int) ([]Entry, error) {
	rels := []string{name}
	for range depth {
		var next []string
		for _, r := range rels {
			children, err := os.ReadDir(filepath.Join(dir, filepath.FromSlash(r)))
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscallNotDir) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("reading the cache %s: %w", dir, err)
			}
			for _, c := range children {
				next = append(next, r+"/"+c.Name())
			}
		}
		rels = next
	}
	var out []Entry
	for _, r := range rels {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e, err := entryAt(dir, r, kind)
		if err != nil {
			return nil, err
		}
		if e != nil {
			out = append(out, *e)
		}
	}
	if kind == Git {
		out = foldLocks(out)
	}
	return out, nil
}

// foldLocks makes a git entry's lock file part of the entry, so they go
// together; a lock with no entry stays an entry of its own.
func foldLocks(entries []Entry) []Entry {
	names := map[string]int{}
	for i, e := range entries {
		names[e.Name] = i
	}
	out := entries[:0:0]
	for _, e := range entries {
		if base, ok := strings.CutSuffix(e.Name, ".lock"); ok {
			if _, has := names[base]; has {
				continue
			}
		}
		if i, ok := names[e.Name+".lock"]; ok {
			e.extra = append(e.extra, entries[i].Name)
			e.Size += entries[i].Size
		}
		out = append(out, e)
	}
	return out
}

// entryAt measures the entry at dir/rel; nil if it vanished meanwhile.
func entryAt(dir, rel string, kind Kind) (*Entry, error) {
	p := filepath.Join(dir, filepath.FromSlash(rel))
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the cache entry %s: %w", p, err)
	}
	size, err := sizeOf(p, fi)
	if err != nil {
		return nil, err
	}
	return &Entry{Kind: kind, Name: rel, Size: size, LastUsed: fi.ModTime()}, nil
}

// sizeOf is the bytes of the regular files at p; files with several names
// inside it are counted once.
func sizeOf(p string, fi fs.FileInfo) (int64, error) {
	if !fi.IsDir() {
		if fi.Mode().IsRegular() {
			return fi.Size(), nil
		}
		return 0, nil
	}
	var total int64
	seen := map[fileID]bool{}
	err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if id, ok := idOf(info); ok {
			if seen[id] {
				return nil
			}
			seen[id] = true
		}
		total += info.Size()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("measuring the cache entry %s: %w", p, err)
	}
	return total, nil
}

// Summary is the totals of one kind.
type Summary struct {
	Kind    Kind
	Entries int
	Size    int64
	// Reclaimable is what prune could remove now: entries no running
	// build may be using.
	Reclaimable int64
}

// Summarize totals entries per kind, in report order, leaving out kinds
// with no entry.
func Summarize(entries []Entry) []Summary {
	by := map[Kind]*Summary{}
	for _, e := range entries {
		s := by[e.Kind]
		if s == nil {
			s = &Summary{Kind: e.Kind}
			by[e.Kind] = s
		}
		s.Entries++
		s.Size += e.Size
		if !e.InUse {
			s.Reclaimable += e.Size
		}
	}
	out := []Summary{}
	for _, k := range Kinds() {
		if s := by[k]; s != nil {
			out = append(out, *s)
		}
	}
	return out
}
