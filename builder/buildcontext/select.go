package buildcontext

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/moby/patternmatcher"
)

// Match is what one source pattern selected: the matched path (Root) and,
// for a directory, everything below it.
type Match struct {
	Tree    *Tree
	Root    Entry
	Entries []Entry // Root first, then descendants, sorted
	// Name is the base name the source was selected by: a symlink's, when
	// Root is its target. A file lands under this name.
	Name string
	// Pivot is the directory COPY --parents keeps paths below: what comes
	// before "/./" in the pattern, or "." (the tree's root).
	Pivot string
}

// Select resolves COPY/ADD source patterns against the tree. Patterns are
// relative to the tree's root (a leading "/" and ".." cannot leave it) and
// may hold wildcards, matched one path element at a time as docker does.
// Paths matching an exclude pattern (COPY --exclude) are left out. A path
// that selects nothing is an error wrapping ErrNotFound; a wildcard that
// matches nothing selects nothing, as in BuildKit.
func (t *Tree) Select(patterns, excludes []string) ([]Match, error) {
	var ex *patternmatcher.PatternMatcher
	if len(excludes) > 0 {
		var err error
		if ex, err = patternmatcher.New(excludes); err != nil {
			return nil, fmt.Errorf("reading --exclude patterns: %w", err)
		}
	}
	var out []Match
	for _, p := range patterns {
		pivot := "."
		if before, _, ok := strings.Cut(filepath.ToSlash(p), "/./"); ok {
			if pivot = strings.TrimPrefix(path.Clean("/"+before), "/"); pivot == "" {
				pivot = "."
			}
		}
		clean := path.Clean("/" + filepath.ToSlash(p))
		roots, err := t.glob(strings.TrimPrefix(clean, "/"))
		if err != nil {
			return nil, fmt.Errorf("resolving %s: %w", p, err)
		}
		var found bool
		for _, r := range roots {
			// As BuildKit, a source that is a symlink is followed (inside
			// the tree): its target is copied under the link's name.
			name, link := path.Base(r), r
			if r, err = t.realDir(r); err != nil {
				return nil, fmt.Errorf("resolving %s: %w", p, err)
			}
			entries, err := t.walk(r)
			if link != r && errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("resolving %s: %s is a symlink whose target is not in the build context: %w", p, link, ErrNotFound)
			}
			if err != nil {
				return nil, fmt.Errorf("resolving %s: %w", p, err)
			}
			if ex != nil {
				// As BuildKit: patterns are relative to the source being
				// copied (--exclude=*.log drops d/x.log from COPY d /out/),
				// and a file source is matched by its name.
				entries = slices.DeleteFunc(entries, func(e Entry) bool {
					rel := e.Path
					switch {
					case e.Path == r:
						rel = path.Base(r)
					case r != ".":
						rel = strings.TrimPrefix(e.Path, r+"/")
					}
					m, _ := ex.MatchesOrParentMatches(rel)
					return m && e.Path != "."
				})
				if len(entries) == 0 || entries[0].Path != r {
					continue
				}
			}
			found = true
			out = append(out, Match{Tree: t, Root: entries[0], Entries: entries, Pivot: pivot, Name: name})
		}
		// A wildcard may match nothing, as in BuildKit; a path must exist.
		if !found && !hasMeta(p) {
			return nil, fmt.Errorf("resolving %s: %w", p, ErrNotFound)
		}
	}
	return out, nil
}

// glob expands pattern into the existing, non-ignored paths it names,
// resolving every directory on the way inside the tree.
func (t *Tree) glob(pattern string) ([]string, error) {
	if pattern == "" {
		return []string{"."}, nil
	}
	paths := []string{"."}
	for _, elem := range strings.Split(pattern, "/") {
		var next []string
		for _, dir := range paths {
			rdir, err := t.real(dir)
			if err != nil {
				return nil, err
			}
			if dir != "." {
				// dir itself may be a link to another directory of the tree.
				if rdir, err = t.realDir(rdir); err != nil {
					return nil, err
				}
			}
			if !hasMeta(elem) {
				p := path.Join(rdir, elem)
				fi, err := os.Lstat(filepath.Join(t.dir, filepath.FromSlash(p)))
				switch {
				case err == nil:
					if t.visible(p, fi.IsDir()) {
						next = append(next, p)
					}
				case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
					// nothing here
				default:
					return nil, err
				}
				continue
			}
			des, err := os.ReadDir(filepath.Join(t.dir, filepath.FromSlash(rdir)))
			if err != nil {
				continue // not a directory: nothing below it matches
			}
			for _, de := range des {
				ok, err := path.Match(elem, de.Name())
				if err != nil {
					return nil, fmt.Errorf("bad pattern %q: %w", pattern, err)
				}
				if p := path.Join(rdir, de.Name()); ok && t.visible(p, de.IsDir()) {
					next = append(next, p)
				}
			}
		}
		paths = next
	}
	slices.Sort(paths)
	return slices.Compact(paths), nil
}

// visible reports whether a pattern may select p: not ignored, or an
// ignored directory below which a "!pattern" may re-include files.
func (t *Tree) visible(p string, isDir bool) bool {
	return !t.ignored(p) || (isDir && t.ignore.Exclusions())
}

func hasMeta(s string) bool { return strings.ContainsAny(s, `*?[\`) }

// Placement says where one selected entry lands in the image.
type Placement struct {
	Tree  *Tree
	Entry Entry
	Dest  string // absolute path in the image
}

// Place maps what Select found to paths in the image, with docker's COPY
// rules: a directory's contents (not the directory itself) go into dest; a
// file goes to dest itself, or into it when dest is a directory (ends in "/",
// or destIsDir says the image already has a directory there). With several
// sources, dest must end in "/". dest is absolute (the caller has applied
// WORKDIR).
func Place(matches []Match, dest string, destIsDir bool, nSources int) ([]Placement, error) {
	if !path.IsAbs(dest) {
		return nil, fmt.Errorf("placing files: destination %q is not absolute", dest)
	}
	dirDest := destIsDir || strings.HasSuffix(dest, "/") || strings.HasSuffix(dest, "/.")
	if nSources > 1 && !dirDest {
		return nil, fmt.Errorf("placing files at %s: with more than one source the destination must be a directory and end with a /", dest)
	}
	if len(matches) > 1 {
		dirDest = true
	}
	dest = path.Clean(dest)
	var out []Placement
	for _, m := range matches {
		if m.Root.Mode.IsDir() {
			for _, e := range m.Entries {
				rel := strings.TrimPrefix(strings.TrimPrefix(e.Path, m.Root.Path), "/")
				if m.Root.Path == "." {
					rel = e.Path
				}
				if rel == "" || rel == "." {
					out = append(out, Placement{Tree: m.Tree, Entry: e, Dest: dest})
					continue
				}
				out = append(out, Placement{Tree: m.Tree, Entry: e, Dest: path.Join(dest, rel)})
			}
			continue
		}
		d := dest
		if dirDest {
			name := m.Name
			if name == "" {
				name = path.Base(m.Root.Path)
			}
			d = path.Join(dest, name)
		}
		out = append(out, Placement{Tree: m.Tree, Entry: m.Root, Dest: d})
	}
	return out, nil
}

// PlaceParents maps what Select found for COPY --parents: each entry keeps
// its path below its match's pivot, under dest (always a directory), and
// the directories between the pivot and a match are placed too, with their
// own metadata, as BuildKit copies them.
func PlaceParents(matches []Match, dest string) ([]Placement, error) {
	if !path.IsAbs(dest) {
		return nil, fmt.Errorf("placing files: destination %q is not absolute", dest)
	}
	dest = path.Clean(dest)
	seen := map[string]bool{}
	var out []Placement
	add := func(pl Placement) {
		if !seen[pl.Dest] {
			seen[pl.Dest] = true
			out = append(out, pl)
		}
	}
	for _, m := range matches {
		pivot := m.Pivot
		if pivot == "" {
			pivot = "."
		}
		var dirs []string
		for d := path.Dir(relTo(m.Root.Path, pivot)); d != "." && d != "/"; d = path.Dir(d) {
			dirs = append(dirs, d)
		}
		for i := len(dirs) - 1; i >= 0; i-- {
			e, err := m.Tree.stat(path.Join(pivot, dirs[i]))
			if err != nil {
				return nil, fmt.Errorf("placing %s: %w", m.Root.Path, err)
			}
			add(Placement{Tree: m.Tree, Entry: e, Dest: path.Join(dest, dirs[i])})
		}
		for _, e := range m.Entries {
			add(Placement{Tree: m.Tree, Entry: e, Dest: path.Join(dest, relTo(e.Path, pivot))})
		}
	}
	return out, nil
}

// relTo is p relative to dir, both tree paths ("." for the root).
func relTo(p, dir string) string {
	if dir == "." {
		return p
	}
	if p == dir {
		return "."
	}
	return strings.TrimPrefix(p, dir+"/")
}
