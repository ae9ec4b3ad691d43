package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// workPrefix names the directories builds unpack and run in, under the
// store's directory (so their layers can be renamed into the blob tree).
const workPrefix = "work-"

// WorkDir is a build's scratch directory, held (locked) for as long as the
// build runs so that SweepWork in another process never removes it.
type WorkDir struct {
	Path string
	lock *os.File
}

// NewWorkDir creates and holds a scratch directory for one build.
func (s *Store) NewWorkDir() (*WorkDir, error) {
	dir, err := os.MkdirTemp(s.dir, workPrefix)
	if err != nil {
		return nil, fmt.Errorf("creating build directory: %w", err)
	}
	lock, err := holdDir(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("creating build directory %s: %w", dir, err)
	}
	return &WorkDir{Path: dir, lock: lock}, nil
}

// Remove deletes the directory and lets go of it.
func (w *WorkDir) Remove() error {
	err := os.RemoveAll(w.Path)
	if w.lock != nil {
		w.lock.Close() // closing drops the lock
	}
	return err
}

// SweepWork removes the scratch directories of builds that are gone: a
// build killed mid-step leaves its whole unpacked root file system behind,
// which nothing would ever reuse. A directory is removed only if it was
// last modified before cutoff and no process holds it (the lock dies with
// its process, so a killed build's is free at once); the age spares a
// build that has made its directory but not yet locked it. It returns how
// many it removed.
func (s *Store) SweepWork(cutoff time.Time) (int, error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sweeping build directories in %s: %w", s.dir, err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), workPrefix) {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			continue
		}
		dir := filepath.Join(s.dir, e.Name())
		lock, held, err := tryHoldDir(dir)
		if err != nil || held {
			continue // gone meanwhile, or a live build's
		}
		err = os.RemoveAll(dir)
		lock.Close()
		if err != nil {
			return n, fmt.Errorf("removing the build directory %s a killed build left: %w", dir, err)
		}
		n++
	}
	return n, nil
}
