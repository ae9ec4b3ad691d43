//go:build !unix

package builder

import (
	"io/fs"
	"os"
	"time"
)

// idsOf: files here have no Unix owner or inode; COPY and ADD give them
// 0:0 (or --chown) as they would a file from an archive without owners.
func idsOf(fs.FileInfo) (fileIDs, bool) { return fileIDs{}, false }

// setLinkTimes leaves symlinks as they are: their own times cannot be set
// here without following them.
func setLinkTimes(p string, t time.Time) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil
	}
	return os.Chtimes(p, t, t)
}
