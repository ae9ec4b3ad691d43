package isolate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// stubs records the mount points created in the root filesystem so they can
// be removed after the run. docker build leaves /etc/hosts, /proc and the
// like out of a RUN's layer; removing our stubs keeps the builder's layer
// diff down to what the command changed.
type stubs struct {
	root    string
	created []createdStub
}

type createdStub struct {
	path  string // host path, inside root, with no symlink component
	dir   bool
	times *dirTimes // parent's times before and just after the creation
}

// dirTimes lets cleanup put a parent directory's mtime back when the command
// did not touch it, so a metadata-based diff does not see /etc as changed
// merely because a stub came and went.
type dirTimes struct {
	atime, mtimeBefore, mtimeAfter time.Time
}

// ensure makes hostPath (already resolved in root) exist as a directory or an
// empty file, creating missing parents, and records what it created. An
// existing entry of the wrong kind is an error: mounting a file over a
// directory fails later with a much less helpful message.
func (s *stubs) ensure(hostPath string, dir bool) error {
	fi, err := os.Lstat(hostPath)
	if err == nil {
		if fi.IsDir() != dir {
			kind := "a file"
			if dir {
				kind = "a directory"
			}
			return fmt.Errorf("creating mount point %s: exists and is not %s", relInRoot(s.root, hostPath), kind)
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("creating mount point %s: %w", relInRoot(s.root, hostPath), err)
	}
	parent := filepath.Dir(hostPath)
	if parent != hostPath && len(parent) >= len(s.root) {
		if err := s.ensure(parent, true); err != nil {
			return err
		}
	}
	before := statTimes(parent)
	if dir {
		err = os.Mkdir(hostPath, 0o755)
	} else {
		var f *os.File
		f, err = os.OpenFile(hostPath, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			err = f.Close()
		}
	}
	if err != nil {
		return fmt.Errorf("creating mount point %s: %w", relInRoot(s.root, hostPath), err)
	}
	var times *dirTimes
	if before != nil {
		if after := statTimes(parent); after != nil {
			times = &dirTimes{atime: before.atime, mtimeBefore: before.mtimeBefore, mtimeAfter: after.mtimeBefore}
		}
	}
	s.created = append(s.created, createdStub{path: hostPath, dir: dir, times: times})
	return nil
}

// cleanup removes the stubs, newest first. A stub that is no longer empty,
// or whose path now crosses a symlink (the command replaced a directory), is
// left alone: it belongs to the command now.
func (s *stubs) cleanup() error {
	var errs []error
	for i := len(s.created) - 1; i >= 0; i-- {
		c := s.created[i]
		if !s.plainPath(c.path) {
			continue
		}
		fi, err := os.Lstat(c.path)
		if err != nil {
			continue
		}
		if c.dir != fi.IsDir() || (!c.dir && (!fi.Mode().IsRegular() || fi.Size() != 0)) {
			continue
		}
		parent := filepath.Dir(c.path)
		untouched := false
		if c.times != nil {
			if now := statTimes(parent); now != nil && now.mtimeBefore.Equal(c.times.mtimeAfter) {
				untouched = true
			}
		}
		if err := os.Remove(c.path); err != nil {
			if errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST) {
				continue
			}
			errs = append(errs, fmt.Errorf("removing mount point %s: %w", relInRoot(s.root, c.path), err))
			continue
		}
		if untouched {
			_ = os.Chtimes(parent, c.times.atime, c.times.mtimeBefore)
		}
	}
	s.created = nil
	return errors.Join(errs...)
}

// plainPath reports whether no component of p below root is a symlink.
func (s *stubs) plainPath(p string) bool {
	rel, err := filepath.Rel(s.root, p)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
		return false
	}
	cur := s.root
	for _, part := range strings.Split(filepath.ToSlash(rel), "/") {
		cur = filepath.Join(cur, part)
		fi, err := os.Lstat(cur)
		if err != nil || fi.Mode()&fs.ModeSymlink != 0 {
			return false
		}
	}
	return true
}
