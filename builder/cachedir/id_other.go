//go:build !unix

package cachedir

import (
	"errors"
	"io/fs"
)

type fileID struct{}

func idOf(fs.FileInfo) (fileID, bool) { return fileID{}, false }

var syscallNotDir = errors.New("not a directory")
