// Package buildcontext reads the files a build copies from: the build context
// directory (filtered by .dockerignore) and the root filesystems of finished
// stages. It resolves COPY/ADD source patterns the way docker does and
// fingerprints what they select for the build cache, recognising unchanged
// files by their metadata before any content is hashed again.
package buildcontext

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/sreevishnu07/stevedore/builder/rootfs"
)

// ErrNotFound means a COPY source selects nothing.
var ErrNotFound = errors.New("no such file or directory in the build context")

// Tree is a directory that COPY reads from.
type Tree struct {
	dir    string
	ignore *patternmatcher.PatternMatcher // nil: nothing ignored
}

// resolve resolves rel inside the tree, chroot-style: a symlink in a source
// path never leads out of the tree. With last false the last element is not
// followed (COPY copies a symlink as a link). The result is relative to the
// tree, "." for its root.
func (t *Tree) resolve(rel string, last bool) (string, error) {
	root, err := os.OpenRoot(t.dir)
	if err != nil {
		return "", err
	}
	defer root.Close()
	resolve := rootfs.ResolveParent
	if last {
		resolve = rootfs.Resolve
	}
	r, err := resolve(root, rel)
	if r == "" {
		r = "."
	}
	return r, err
}

func (t *Tree) real(rel string) (string, error)    { return t.resolve(rel, false) }
func (t *Tree) realDir(rel string) (string, error) { return t.resolve(rel, true) }

// Resolve resolves rel fully inside the tree, its last element included,
// and returns the host path: what a bind mount of rel may show.
func (t *Tree) Resolve(rel string) (string, error) {
	r, err := t.resolve(rel, true)
	if err != nil {
		return "", err
	}
	return filepath.Join(t.dir, filepath.FromSlash(r)), nil
}

// Entry is one file, directory or symlink of a tree.
type Entry struct {
	Path    string // slash-separated, relative to the tree, never "" (the root is ".")
	Mode    fs.FileMode
	Size    int64
	ModTime time.Time
	Link    string // symlink target
	UID     int
	GID     int
	Ino     uint64
	Dev     uint64
}

// Abs is the entry's path on disk.
func (t *Tree) Abs(e Entry) string { return filepath.Join(t.dir, filepath.FromSlash(e.Path)) }

// Dir is the tree's directory.
func (t *Tree) Dir() string { return t.dir }

// OpenContext opens a build context directory. Its .dockerignore (or the
// file named by ignoreFile, e.g. Dockerfile.dockerignore, when it exists)
// excludes files as docker does. always lists more paths (relative to dir)
// that are never part of the context whatever .dockerignore says: what
// stevedore itself writes there (its key directory, image layouts, SBOMs,
// the ledger), which must never be copied into an image.
func OpenContext(dir, ignoreFile string, always ...string) (*Tree, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("opening build context: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("opening build context %s: not a directory", dir)
	}
	t := &Tree{dir: dir}
	var patterns []string
	f, data, err := IgnoreFile(dir, ignoreFile)
	if err != nil {
		return nil, err
	}
	if f != "" {
		if patterns, err = ignorefile.ReadAll(bytes.NewReader(data)); err != nil {
			return nil, fmt.Errorf("reading %s: %w", f, err)
		}
	}
	// Last, so that no "!pattern" in .dockerignore can bring them back.
	for _, a := range always {
		if a = filepath.ToSlash(filepath.Clean(a)); a != "." && !strings.HasPrefix(a, "../") && a != ".." {
			patterns = append(patterns, a)
		}
	}
	if len(patterns) > 0 {
		if t.ignore, err = patternmatcher.New(patterns); err != nil {
			return nil, fmt.Errorf("reading the ignore patterns of %s: %w", dir, err)
		}
	}
	return t, nil
}

// IgnoreFile reads the ignore file that applies to the context in dir:
// ignoreFile (the Dockerfile's NAME.dockerignore) when it exists, else
// dir/.dockerignore. It returns the file's path and content, "" when there
// is none.
func IgnoreFile(dir, ignoreFile string) (string, []byte, error) {
	candidates := []string{filepath.Join(dir, ".dockerignore")}
	if ignoreFile != "" {
		candidates = append([]string{ignoreFile}, candidates...)
	}
	for _, f := range candidates {
		data, err := os.ReadFile(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", nil, fmt.Errorf("reading %s: %w", f, err)
		}
		return f, data, nil
	}
	return "", nil, nil
}

// OpenDir opens a directory with nothing ignored: a finished stage's root
// filesystem, or a named build context of files.
func OpenDir(dir string) *Tree { return &Tree{dir: dir} }

// Excluded reports whether rel (slash-separated, relative to the tree) is
// left out of the context: by .dockerignore, or as one of OpenContext's
// always-excluded paths, or inside one.
func (t *Tree) Excluded(rel string) bool { return t.ignored(rel) }

// Ignores reports whether a .dockerignore leaves anything out of the tree.
func (t *Tree) Ignores() bool { return t.ignore != nil }

// ignored reports whether rel is excluded by .dockerignore.
func (t *Tree) ignored(rel string) bool {
	if t.ignore == nil || rel == "." {
		return false
	}
	m, err := t.ignore.MatchesOrParentMatches(rel)
	return err == nil && m
}

func (t *Tree) stat(rel string) (Entry, error) {
	fi, err := os.Lstat(filepath.Join(t.dir, filepath.FromSlash(rel)))
	if err != nil {
		return Entry{}, err
	}
	return t.entry(rel, fi)
}

func (t *Tree) entry(rel string, fi fs.FileInfo) (Entry, error) {
	e := Entry{Path: rel, Mode: fi.Mode(), Size: fi.Size(), ModTime: fi.ModTime()}
	e.UID, e.GID, e.Ino, e.Dev = fileIDs(fi)
	if fi.Mode()&fs.ModeSymlink != 0 {
		l, err := os.Readlink(filepath.Join(t.dir, filepath.FromSlash(rel)))
		if err != nil {
			return Entry{}, err
		}
		e.Link = l
	}
	if !fi.Mode().IsDir() {
		// Sizes of directories differ between filesystems and mean nothing.
	} else {
		e.Size = 0
	}
	return e, nil
}

// walk lists rel and, when it is a directory, everything below it that is
// not ignored, sorted by path (parents first).
func (t *Tree) walk(rel string) ([]Entry, error) {
	root, err := t.stat(rel)
	if err != nil {
		return nil, err
	}
	out := []Entry{root}
	if !root.Mode.IsDir() {
		return out, nil
	}
	var rec func(dir string) error
	rec = func(dir string) error {
		des, err := os.ReadDir(filepath.Join(t.dir, filepath.FromSlash(dir)))
		if err != nil {
			return err
		}
		for _, de := range des {
			p := path.Join(dir, de.Name())
			if t.ignored(p) {
				// A later "!pattern" may re-include something below an
				// ignored directory, so only skip it when none could.
				if de.IsDir() && t.ignore.Exclusions() {
					if err := rec(p); err != nil {
						return err
					}
				}
				continue
			}
			fi, err := de.Info()
			if err != nil {
				return err
			}
			e, err := t.entry(p, fi)
			if err != nil {
				return err
			}
			out = append(out, e)
			if de.IsDir() {
				if err := rec(p); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := rec(rel); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}
