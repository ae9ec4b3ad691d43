package builder

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// copyTree copies src to dst with modes, owners, times and symlinks, for the
// snapshot RUN is compared against when overlayfs is not available. Hard
// links inside src stay hard links, so the comparison sees what changed.
func copyTree(src, dst string) error {
	links := map[uint64]string{}
	type dirTime struct {
		path string
		fi   fs.FileInfo
	}
	var dirs []dirTime
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		ids, hasIDs := idsOf(fi)
		switch {
		case d.IsDir():
			if err := os.Mkdir(target, fi.Mode().Perm()|0o700); err != nil && !os.IsExist(err) {
				return err
			}
		case fi.Mode()&fs.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if err := os.Symlink(l, target); err != nil {
				return err
			}
		case fi.Mode().IsRegular():
			if hasIDs && ids.nlink > 1 {
				if first, ok := links[ids.ino]; ok {
					return os.Link(first, target)
				}
				links[ids.ino] = target
			}
			if err := copyFile(p, target, fi.Mode()); err != nil {
				return err
			}
		default:
			return nil // devices, fifos, sockets: not worth snapshotting
		}
		if hasIDs {
			_ = os.Lchown(target, ids.uid, ids.gid)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			_ = os.Chmod(target, fi.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky))
			_ = os.Chtimes(target, fi.ModTime(), fi.ModTime())
		}
		if d.IsDir() {
			dirs = append(dirs, dirTime{target, fi})
		}
		return nil
	})
	// Directory times last: creating their children changed them.
	for i := len(dirs) - 1; i >= 0; i-- {
		_ = os.Chtimes(dirs[i].path, dirs[i].fi.ModTime(), dirs[i].fi.ModTime())
	}
	return err
}

func copyFile(src, dst string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode.Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
