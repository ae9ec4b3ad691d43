//go:build unix

package buildcontext

import (
	"io/fs"
	"syscall"
)

// fileIDs reads fi's owner, inode and device: zero when fi did not come
// from a stat of the host's filesystem.
func fileIDs(fi fs.FileInfo) (uid, gid int, ino, dev uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid), int(st.Gid), uint64(st.Ino), uint64(st.Dev)
	}
	return 0, 0, 0, 0
}
