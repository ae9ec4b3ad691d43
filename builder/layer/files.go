package layer

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// File places one thing at a path in a layer, as COPY and ADD do.
type File struct {
	// Path is the destination in the layer ("app/bin/server"); it is
	// cleaned and may not escape the root.
	Path string
	// Source is a file, directory or symlink on disk (not followed). A
	// directory is copied with everything below it. Empty for in-memory
	// entries.
	Source string
	// Kind, Data and Linkname describe an in-memory entry (Source == "");
	// Kind defaults to KindFile.
	Kind     Kind
	Data     []byte
	Linkname string
	// Mode, when non-zero or when ModeSet, replaces the permission bits
	// (COPY --chmod). An in-memory entry without one gets 0644, or 0755
	// for a directory.
	Mode fs.FileMode
	// ModeSet makes a zero Mode count: COPY --chmod=0 gives mode 0000.
	ModeSet bool
	// ModeFunc, when set, maps each entry's mode (fs.ModeDir included for
	// a directory) after Mode: a symbolic COPY --chmod=u+x. Symlinks keep
	// theirs.
	ModeFunc func(fs.FileMode) fs.FileMode
	// Owner, when set, replaces the owner (COPY --chown). Otherwise a
	// source keeps its own and an in-memory entry is 0:0.
	Owner *Owner
	// ModTime of an in-memory entry; zero means the build epoch. Sources
	// keep their own.
	ModTime time.Time
}

// Owner is a numeric user and group.
type Owner struct{ UID, GID int }

// FromFiles makes a change set from files placed at paths. When two files
// name the same path the later one wins, as a later COPY would. Parent
// directories that are not listed are not added: an extracting runtime
// creates missing ones, and adding them with made-up metadata would
// overwrite the base image's (a /tmp that is 1777, say).
func FromFiles(ctx context.Context, files []File) (*Changes, error) {
	var out []Entry
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("collecting files: %w", err)
		}
		start := len(out)
		if isRoot(f.Path) && f.Source != "" {
			// "COPY dir/ /": the directory's contents land at the root;
			// the root itself is never a layer entry.
			if err := addChildren(ctx, f.Source, "", &out); err != nil {
				return nil, err
			}
		} else if f.Source != "" {
			dst, err := cleanLayerPath(f.Path)
			if err != nil {
				return nil, err
			}
			if err := addTree(ctx, f.Source, dst, false, &out); err != nil {
				return nil, err
			}
		} else {
			dst, err := cleanLayerPath(f.Path)
			if err != nil {
				return nil, err
			}
			e, err := memoryEntry(f, dst)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		for i := start; i < len(out); i++ {
			if f.Mode != 0 || f.ModeSet {
				out[i].Mode = f.Mode & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
			}
			if f.ModeFunc != nil && out[i].Kind != KindSymlink {
				m := out[i].Mode
				if out[i].Kind == KindDir {
					m |= fs.ModeDir
				}
				out[i].Mode = f.ModeFunc(m) & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
			}
			if f.Owner != nil {
				out[i].UID, out[i].GID = f.Owner.UID, f.Owner.GID
			}
		}
	}
	// Keep the last entry per path; the stable sort keeps input order among
	// equal paths.
	c := newChanges(out)
	dedup := c.entries[:0]
	for i, e := range c.entries {
		if i+1 < len(c.entries) && c.entries[i+1].Path == e.Path {
			continue
		}
		dedup = append(dedup, e)
	}
	c.entries = dedup
	return c, nil
}

func memoryEntry(f File, dst string) (Entry, error) {
	e := Entry{Path: dst, Kind: f.Kind, ModTime: f.ModTime, Linkname: f.Linkname}
	if e.Kind == 0 {
		e.Kind = KindFile
	}
	switch e.Kind {
	case KindFile:
		e.Mode, e.Size = 0o644, int64(len(f.Data))
		e.data = f.Data
		if e.data == nil {
			e.data = []byte{}
		}
	case KindDir:
		e.Mode = 0o755
	case KindSymlink:
		if f.Linkname == "" {
			return Entry{}, fmt.Errorf("adding symlink %s: no target: %w", dst, ErrInvalidPath)
		}
		e.Mode = 0o777
	default:
		return Entry{}, fmt.Errorf("adding %s: in-memory %s entries are not supported: %w", dst, e.Kind, ErrUnsupported)
	}
	return e, nil
}

func isRoot(p string) bool {
	c, err := cleanLayerPath(p)
	return c == "" && err != nil && p != ""
}

func addChildren(ctx context.Context, dir, rel string, out *[]Entry) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("reading %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("adding %s at the layer root: not a directory: %w", dir, ErrInvalidPath)
	}
	names, err := readDirNames(dir)
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := addTree(ctx, filepath.Join(dir, n), joinRel(rel, n), false, out); err != nil {
			return err
		}
	}
	return nil
}
