package builder

import "io/fs"

// fileIDs is what the host's stat says about a file beyond fs.FileInfo:
// its owner and, for keeping hard links, its inode and link count.
type fileIDs struct {
	uid, gid int
	ino      uint64
	nlink    uint64
}

// ownerOf is fi's owner, 0:0 where the host has no Unix owners.
func ownerOf(fi fs.FileInfo) (int, int) {
	ids, _ := idsOf(fi)
	return ids.uid, ids.gid
}
