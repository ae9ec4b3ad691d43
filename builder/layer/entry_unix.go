//go:build unix

package layer

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// statEntry reads one path's metadata (not following symlinks) into an
// Entry named rel.
func statEntry(abs, rel string) (Entry, error) {
	var st unix.Stat_t
	if err := unix.Lstat(abs, &st); err != nil {
		return Entry{}, fmt.Errorf("reading metadata of %s: %w", abs, err)
	}
	return entryFromStat(abs, rel, &st)
}

func entryFromStat(abs, rel string, st *unix.Stat_t) (Entry, error) {
	e := Entry{
		Path:    rel,
		Mode:    fs.FileMode(st.Mode & 0o777),
		UID:     int(st.Uid),
		GID:     int(st.Gid),
		ModTime: time.Unix(st.Mtim.Sec, st.Mtim.Nsec),
		dev:     uint64(st.Dev),
		ino:     st.Ino,
		nlink:   uint64(st.Nlink),
	}
	if st.Mode&unix.S_ISUID != 0 {
		e.Mode |= fs.ModeSetuid
	}
	if st.Mode&unix.S_ISGID != 0 {
		e.Mode |= fs.ModeSetgid
	}
	if st.Mode&unix.S_ISVTX != 0 {
		e.Mode |= fs.ModeSticky
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		e.Kind, e.Size, e.src = KindFile, st.Size, abs
	case unix.S_IFDIR:
		e.Kind = KindDir
	case unix.S_IFLNK:
		e.Kind = KindSymlink
		target, err := readlink(abs)
		if err != nil {
			return Entry{}, err
		}
		e.Linkname = target
	case unix.S_IFCHR:
		e.Kind = KindCharDevice
		e.Devmajor, e.Devminor = unix.Major(uint64(st.Rdev)), unix.Minor(uint64(st.Rdev))
	case unix.S_IFBLK:
		e.Kind = KindBlockDevice
		e.Devmajor, e.Devminor = unix.Major(uint64(st.Rdev)), unix.Minor(uint64(st.Rdev))
	case unix.S_IFIFO:
		e.Kind = KindFIFO
	default:
		// Sockets cannot be stored in a tar; like BuildKit and Docker we
		// leave them out rather than fail the step.
		return Entry{}, errSkip
	}
	x, err := readXattrs(abs)
	if err != nil {
		return Entry{}, err
	}
	e.Xattrs = x
	return e, nil
}

func readlink(abs string) (string, error) {
	buf := make([]byte, 256)
	for {
		n, err := unix.Readlink(abs, buf)
		if err != nil {
			return "", fmt.Errorf("reading symlink %s: %w", abs, err)
		}
		if n < len(buf) {
			return string(buf[:n]), nil
		}
		buf = make([]byte, 2*len(buf))
	}
}

func readXattrs(abs string) (map[string][]byte, error) {
	var out map[string][]byte
	for _, name := range listXattrs(abs) {
		if !keepXattr(name) {
			continue
		}
		v, ok, err := getXattr(abs, name)
		if err != nil {
			return nil, err
		}
		if ok {
			if out == nil {
				out = map[string][]byte{}
			}
			out[name] = v
		}
	}
	return out, nil
}

// listXattrs returns nil where the filesystem has no xattr support: such a
// file simply has none to keep.
func listXattrs(abs string) []string {
	sz, err := unix.Llistxattr(abs, nil)
	if err != nil || sz <= 0 {
		return nil
	}
	buf := make([]byte, sz)
	sz, err = unix.Llistxattr(abs, buf)
	if err != nil || sz <= 0 {
		return nil
	}
	var names []string
	for _, n := range strings.Split(string(buf[:sz]), "\x00") {
		if n != "" {
			names = append(names, n)
		}
	}
	return names
}

func getXattr(abs, name string) ([]byte, bool, error) {
	sz, err := unix.Lgetxattr(abs, name, nil)
	if errors.Is(err, unix.ENODATA) || errors.Is(err, unix.ENOTSUP) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading xattr %s of %s: %w", name, abs, err)
	}
	buf := make([]byte, sz)
	sz, err = unix.Lgetxattr(abs, name, buf)
	if err != nil {
		return nil, false, fmt.Errorf("reading xattr %s of %s: %w", name, abs, err)
	}
	return buf[:sz], true, nil
}
