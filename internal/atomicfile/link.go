package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Link makes dst hold src's content without writing it again when it can:
// a hard link, which shares the file (one copy on disk, and a name that
// appears whole, since a link is atomic), then a sync of dst's directory so
// the new name survives a crash. Across file systems, or where links are
// not allowed, it copies through Create and Commit instead. A dst already
// present is left as it is: callers name files by their content. It reports
// whether the content was shared rather than copied.
func Link(src, dst string, perm os.FileMode) (shared bool, err error) {
	if _, err := os.Lstat(dst); err == nil {
		return false, nil
	}
	err = os.Link(src, dst)
	if err == nil {
		return true, syncDir(filepath.Dir(dst))
	}
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	in, err := os.Open(src)
	if err != nil {
		return false, fmt.Errorf("copying %s: %w", src, err)
	}
	defer in.Close()
	f, err := Create(dst, perm)
	if err != nil {
		return false, err
	}
	if _, err := io.Copy(f.f, in); err != nil {
		f.Abort()
		return false, fmt.Errorf("copying %s to %s: %w", src, dst, err)
	}
	return false, f.Commit()
}
