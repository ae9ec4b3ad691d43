//go:build unix

package layer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Diff finds what changed from the tree lower to the tree upper, for when a
// step could not run on overlayfs: upper is the full tree after the step,
// lower the full tree before it.
//
// A file counts as unchanged when its metadata matches: the same inode on
// the same device, or equal type, permissions, owner, size, modification
// time, device numbers, symlink target and kept xattrs. Content is compared
// only when all of that matches but the timestamps have no sub-second part
// (a filesystem or copy tool that drops nanoseconds makes a same-second
// rewrite otherwise invisible). A step that rewrites a file with equal
// content still changes its mtime, and the file is in the layer, as it would
// be from overlayfs.
//
// Deleted paths become whiteouts. A directory whose lower children are all
// gone, or a directory replacing a non-directory, becomes opaque instead, so
// that "rm -r d && mkdir d" gives the same layer as overlayfs gives.
func Diff(ctx context.Context, lower, upper string) (*Changes, error) {
	for _, d := range []string{lower, upper} {
		fi, err := os.Stat(d)
		if err != nil {
			return nil, fmt.Errorf("comparing %s with %s: %w", lower, upper, err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("comparing %s with %s: %s is not a directory", lower, upper, d)
		}
	}
	var out []Entry
	if _, err := diffDir(ctx, lower, upper, "", &out); err != nil {
		return nil, err
	}
	return newChanges(out), nil
}

// diffDir appends the changes below one directory and reports whether
// there were any. The directory's own entry is the caller's business.
func diffDir(ctx context.Context, lower, upper, rel string, out *[]Entry) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("comparing %s: %w", upper, err)
	}
	lowerNames, err := readDirNames(lower)
	if err != nil {
		return false, err
	}
	upperNames, err := readDirNames(upper)
	if err != nil {
		return false, err
	}
	inLower := make(map[string]bool, len(lowerNames))
	for _, n := range lowerNames {
		inLower[n] = true
	}
	inUpper := make(map[string]bool, len(upperNames))
	for _, n := range upperNames {
		inUpper[n] = true
	}
	start := len(*out)
	for _, n := range lowerNames {
		if !inUpper[n] {
			*out = append(*out, Entry{Path: joinRel(rel, n), Kind: KindWhiteout})
		}
	}
	for _, n := range upperNames {
		la, ua, r := filepath.Join(lower, n), filepath.Join(upper, n), joinRel(rel, n)
		if !inLower[n] {
			if err := addTree(ctx, ua, r, false, out); err != nil {
				return false, err
			}
			continue
		}
		var ls, us unix.Stat_t
		if err := unix.Lstat(la, &ls); err != nil {
			return false, fmt.Errorf("reading metadata of %s: %w", la, err)
		}
		if err := unix.Lstat(ua, &us); err != nil {
			return false, fmt.Errorf("reading metadata of %s: %w", ua, err)
		}
		lt, ut := ls.Mode&unix.S_IFMT, us.Mode&unix.S_IFMT
		if lt != ut {
			// A directory over a non-directory hides nothing more than the
			// old object, but overlayfs marks it opaque; do the same so
			// both ways give one layer.
			if err := addTree(ctx, ua, r, lt != unix.S_IFDIR && ut == unix.S_IFDIR, out); err != nil {
				return false, err
			}
			continue
		}
		if ut == unix.S_IFDIR {
			if err := diffSubdir(ctx, la, ua, r, &ls, &us, out); err != nil {
				return false, err
			}
			continue
		}
		same, err := sameFile(la, ua, &ls, &us)
		if err != nil {
			return false, err
		}
		if same {
			continue
		}
		e, err := entryFromStat(ua, r, &us)
		if errors.Is(err, errSkip) {
			continue
		}
		if err != nil {
			return false, err
		}
		*out = append(*out, e)
	}
	return len(*out) > start, nil
}

// diffSubdir handles a directory present in both trees: it is in the layer
// when its own metadata changed or anything below it did, so that every
// changed path has its parents in the layer.
func diffSubdir(ctx context.Context, la, ua, r string, ls, us *unix.Stat_t, out *[]Entry) error {
	opaque, err := allChildrenGone(la, ua)
	if err != nil {
		return err
	}
	if opaque {
		return addTree(ctx, ua, r, true, out)
	}
	at := len(*out)
	*out = append(*out, Entry{}) // placeholder keeps the parent first
	changed, err := diffDir(ctx, la, ua, r, out)
	if err != nil {
		return err
	}
	if !changed {
		same, err := sameMeta(la, ua, ls, us)
		if err != nil {
			return err
		}
		if same {
			*out = append((*out)[:at], (*out)[at+1:]...)
			return nil
		}
	}
	e, err := entryFromStat(ua, r, us)
	if err != nil {
		return err
	}
	(*out)[at] = e
	return nil
}

// allChildrenGone: a lower directory none of whose children survive is
// what "rm -r d; mkdir d" leaves, which overlayfs records as opaque.
func allChildrenGone(la, ua string) (bool, error) {
	lowerNames, err := readDirNames(la)
	if err != nil || len(lowerNames) == 0 {
		return false, err
	}
	for _, n := range lowerNames {
		if _, err := os.Lstat(filepath.Join(ua, n)); err == nil {
			return false, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return false, fmt.Errorf("reading metadata of %s: %w", filepath.Join(ua, n), err)
		}
	}
	return true, nil
}

func sameFile(la, ua string, ls, us *unix.Stat_t) (bool, error) {
	if ls.Dev == us.Dev && ls.Ino == us.Ino {
		return true, nil
	}
	same, err := sameMeta(la, ua, ls, us)
	if err != nil || !same {
		return false, err
	}
	switch us.Mode & unix.S_IFMT {
	case unix.S_IFLNK:
		lt, err := readlink(la)
		if err != nil {
			return false, err
		}
		ut, err := readlink(ua)
		if err != nil {
			return false, err
		}
		return lt == ut, nil
	case unix.S_IFREG:
		if us.Mtim.Nsec == 0 && us.Size > 0 {
			return sameContent(la, ua)
		}
	}
	return true, nil
}

// sameMeta compares what a tar entry would carry, apart from content.
func sameMeta(la, ua string, ls, us *unix.Stat_t) (bool, error) {
	if ls.Mode != us.Mode || ls.Uid != us.Uid || ls.Gid != us.Gid ||
		ls.Mtim != us.Mtim || ls.Rdev != us.Rdev {
		return false, nil
	}
	if us.Mode&unix.S_IFMT != unix.S_IFDIR && ls.Size != us.Size {
		return false, nil
	}
	// setcap changes only ctime, so kept xattrs are compared explicitly.
	lx, err := readXattrs(la)
	if err != nil {
		return false, err
	}
	ux, err := readXattrs(ua)
	if err != nil {
		return false, err
	}
	return maps.EqualFunc(lx, ux, bytes.Equal), nil
}

func sameContent(a, b string) (bool, error) {
	fa, err := os.Open(a)
	if err != nil {
		return false, fmt.Errorf("comparing %s: %w", a, err)
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return false, fmt.Errorf("comparing %s: %w", b, err)
	}
	defer fb.Close()
	ba, bb := make([]byte, 64<<10), make([]byte, 64<<10)
	for {
		na, ea := io.ReadFull(fa, ba)
		nb, eb := io.ReadFull(fb, bb)
		if !bytes.Equal(ba[:na], bb[:nb]) {
			return false, nil
		}
		if ea == io.EOF || ea == io.ErrUnexpectedEOF {
			return eb == ea, nil
		}
		if ea != nil {
			return false, fmt.Errorf("comparing %s: %w", a, ea)
		}
		if eb != nil {
			return false, fmt.Errorf("comparing %s: %w", b, eb)
		}
	}
}
