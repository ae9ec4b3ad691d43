// Package atomicfile writes a file so that it appears whole or not at all,
// and survives a crash once written: a temporary file in the same directory
// (so the rename cannot cross filesystems), fsync of the file, rename over
// the target, fsync of the directory (so the rename itself is durable). It
// also sweeps the temporary files a killed process left behind.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// TempSuffix frames the name of the temporary file for
// target NAME: ".NAME.tmp-DIGITS". Sweeps of stale temporary files match
// exactly this.
const TempSuffix = ".tmp-"

// tempRE matches the temporary names Create gives (os.CreateTemp replaces
// the final * with digits).
var tempRE = regexp.MustCompile(`^\..+` + regexp.QuoteMeta(TempSuffix) + `[0-9]+$`)

// WriteFile replaces path with data, creating its directory. A reader sees
// the old content or the new, never a mix; on error the target is untouched
// and no temporary file is left.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

// File is a file being written that appears at its path, whole, only on
// Commit: for content streamed in (a blob being verified while it is
// stored) rather than held in memory.
type File struct {
	f    *os.File
	path string
	perm os.FileMode
	done bool
}

// Create starts writing path (creating its directory). Call Commit to put
// it in place, or Abort to drop it.
func Create(path string, perm os.FileMode) (*File, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating directory %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+TempSuffix+"*")
	if err != nil {
		return nil, fmt.Errorf("creating temporary file for %s: %w", path, err)
	}
	return &File{f: f, path: path, perm: perm}, nil
}

func (f *File) Write(p []byte) (int, error) {
	n, err := f.f.Write(p)
	if err != nil {
		return n, fmt.Errorf("writing %s: %w", f.path, err)
	}
	return n, nil
}

// Abort drops the temporary file; the target is untouched. It is a no-op
// after Commit or an earlier Abort.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.f.Close()
	os.Remove(f.f.Name())
}

// Commit syncs the content, renames it over the target and syncs the
// directory. On error the target is untouched and the temporary file is
// removed.
func (f *File) Commit() error {
	return f.CommitAs(f.path)
}

// CommitAs is Commit under another name in the same directory: for content
// named by what it holds (a layer blob by its digest), known only once it
// is written.
func (f *File) CommitAs(path string) error {
	if f.done {
		return fmt.Errorf("writing %s: already committed or aborted", path)
	}
	if filepath.Dir(path) != filepath.Dir(f.path) {
		f.Abort()
		return fmt.Errorf("writing %s: not in the directory of the temporary file %s", path, f.f.Name())
	}
	f.path = path
	defer f.Abort() // after the rename there is nothing left to remove
	if err := f.f.Chmod(f.perm); err != nil {
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	if err := f.f.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", f.path, err)
	}
	if err := f.f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	if err := os.Rename(f.f.Name(), f.path); err != nil {
		return fmt.Errorf("replacing %s: %w", f.path, err)
	}
	return syncDir(filepath.Dir(f.path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}

// Sweep removes from dir (not below it) the temporary files of writes that
// never finished, last modified before cutoff: a process killed between
// Create and Commit leaves one, which nothing would ever reuse. A cutoff in
// the past spares writes still in progress (they keep touching their
// file). A missing dir is not an error. It returns how many it removed.
func Sweep(dir string, cutoff time.Time) (int, error) {
	return sweep(dir, cutoff, tempRE)
}

// SweepFor is Sweep limited to the temporary files of path itself:
// for a directory stevedore does not own (a deploy file's), where any other
// file is the user's.
func SweepFor(path string, cutoff time.Time) (int, error) {
	re := regexp.MustCompile(`^\.` + regexp.QuoteMeta(filepath.Base(path)+TempSuffix) + `[0-9]+$`)
	return sweep(filepath.Dir(path), cutoff, re)
}

// SweepMatching is Sweep for other temporary names: those an older
// version, or another library, gave its unfinished writes.
func SweepMatching(dir string, cutoff time.Time, re *regexp.Regexp) (int, error) {
	return sweep(dir, cutoff, re)
}

func sweep(dir string, cutoff time.Time, re *regexp.Regexp) (int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sweeping temporary files in %s: %w", dir, err)
	}
	n := 0
	for _, e := range entries {
		if !e.Type().IsRegular() || !re.MatchString(e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return n, fmt.Errorf("removing stale temporary file %s: %w", p, err)
		}
		n++
	}
	return n, nil
}
