//go:build !unix

package cachedir_test

import "io/fs"

// inode is 0 without a unix stat: every file counts apart.
func inode(fs.FileInfo) uint64 { return 0 }
