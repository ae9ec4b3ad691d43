package layer

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// Kind is what a layer entry is.
type Kind uint8

// Entry kinds. KindWhiteout marks a path deleted by the step; it becomes an
// OCI ".wh.NAME" entry when written.
const (
	KindFile Kind = iota + 1
	KindDir
	KindSymlink
	KindCharDevice
	KindBlockDevice
	KindFIFO
	KindWhiteout
)

func (k Kind) String() string {
	switch k {
	case KindFile:
		return "file"
	case KindDir:
		return "directory"
	case KindSymlink:
		return "symlink"
	case KindCharDevice:
		return "character device"
	case KindBlockDevice:
		return "block device"
	case KindFIFO:
		return "fifo"
	case KindWhiteout:
		return "whiteout"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Entry is one path a step added, changed or deleted.
type Entry struct {
	// Path is slash-separated and relative to the layer root ("usr/bin/x").
	Path string
	Kind Kind
	// Opaque, for a directory, hides everything lower layers hold below it
	// (written as ".wh..wh..opq").
	Opaque bool
	// Mode holds the permission bits plus fs.ModeSetuid, fs.ModeSetgid and
	// fs.ModeSticky; the type lives in Kind.
	Mode     fs.FileMode
	UID, GID int
	// ModTime is the file's own time; Write clamps it to the build epoch.
	ModTime time.Time
	// Size is the content length of a regular file.
	Size int64
	// Linkname is a symlink's target.
	Linkname           string
	Devmajor, Devminor uint32
	// Xattrs kept in the layer; only names that mean the same on every host
	// are read from disk (see keepXattr).
	Xattrs map[string][]byte

	src   string // file holding the content, or ""
	data  []byte // in-memory content when src is ""
	dev   uint64 // device and inode of src: hard links share both
	ino   uint64
	nlink uint64
}

// Changes is a step's change set, sorted by path with parents before
// children. The zero value is an empty change set.
type Changes struct {
	entries []Entry
}

// Entries returns the entries in layer order. The slice is shared: do not
// modify it.
func (c *Changes) Entries() []Entry {
	if c == nil {
		return nil
	}
	return c.entries
}

// Len is the number of entries.
func (c *Changes) Len() int {
	if c == nil {
		return 0
	}
	return len(c.entries)
}

func newChanges(entries []Entry) *Changes {
	slices.SortStableFunc(entries, func(a, b Entry) int { return comparePaths(a.Path, b.Path) })
	return &Changes{entries: entries}
}

// comparePaths orders paths component by component, so that "a/b" comes
// right after "a" and before "a-b": a plain string sort would put "a-b"
// between "a" and "a/b" and, worse, could place children of one directory
// after a sibling. Byte order, not locale order, keeps it host independent.
func comparePaths(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		ca, cb := a[i], b[i]
		if ca == cb {
			continue
		}
		if ca == '/' {
			return -1
		}
		if cb == '/' {
			return 1
		}
		if ca < cb {
			return -1
		}
		return 1
	}
	return len(a) - len(b)
}

// cleanLayerPath turns a user-supplied destination into the layer's form:
// slash separated, relative, no "." or "..".
func cleanLayerPath(p string) (string, error) {
	c := path.Clean("/" + p)
	c = strings.TrimPrefix(c, "/")
	if c == "" || c == "." {
		return "", fmt.Errorf("checking path %q: %w", p, ErrInvalidPath)
	}
	return c, nil
}

// keepXattr says which extended attributes go into layers. File
// capabilities are part of what a binary is; SELinux labels, ACLs and
// overlay's own attributes describe the build host, and would make the same
// tree hash differently on two machines.
func keepXattr(name string) bool {
	return name == "security.capability"
}

// With returns the change set plus extra entries for paths it does not
// hold already, in layer order.
func (c *Changes) With(extra ...Entry) *Changes {
	have := map[string]bool{}
	out := slices.Clone(c.Entries())
	for _, e := range out {
		have[e.Path] = true
	}
	for _, e := range extra {
		if !have[e.Path] {
			out, have[e.Path] = append(out, e), true
		}
	}
	return newChanges(out)
}

// Without returns the change set less the entries drop selects. The order
// is kept.
func (c *Changes) Without(drop func(Entry) bool) *Changes {
	if c == nil {
		return nil
	}
	out := make([]Entry, 0, len(c.entries))
	for _, e := range c.entries {
		if !drop(e) {
			out = append(out, e)
		}
	}
	return &Changes{entries: out}
}
