//go:build unix

package builder

import (
	"io/fs"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// idsOf reads fi's owner and inode; ok is false when fi did not come from
// a stat of the host's filesystem.
func idsOf(fi fs.FileInfo) (fileIDs, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileIDs{}, false
	}
	return fileIDs{uid: int(st.Uid), gid: int(st.Gid), ino: uint64(st.Ino), nlink: uint64(st.Nlink)}, true
}

// setLinkTimes sets p's access and modification times to t without
// following a symlink.
func setLinkTimes(p string, t time.Time) error {
	ts := []unix.Timeval{unix.NsecToTimeval(t.UnixNano()), unix.NsecToTimeval(t.UnixNano())}
	return unix.Lutimes(p, ts)
}
