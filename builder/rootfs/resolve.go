package rootfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
)

// maxLinks bounds symlink resolution, as the kernel's ELOOP does.
const maxLinks = 255

// resolveDir resolves dir (relative to root) the way the kernel would inside
// a chroot at root: symlinks are followed, absolute targets start at root and
// ".." stops there. Layers routinely write through links such as
// var/run -> /run, which os.Root alone would refuse as an escape. Missing
// components are returned unresolved; the caller creates them.
func resolveDir(root *os.Root, dir string) (string, error) {
	todo := splitPath(dir)
	var done []string
	links := 0
	for len(todo) > 0 {
		part := todo[0]
		todo = todo[1:]
		switch part {
		case "", ".":
			continue
		case "..":
			if len(done) > 0 {
				done = done[:len(done)-1]
			}
			continue
		}
		cur := path.Join(append(done, part)...)
		fi, err := root.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			// Nothing to follow from here on.
			return path.Join(append(append(done, part), todo...)...), nil
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			done = append(done, part)
			continue
		}
		if links++; links > maxLinks {
			return "", fmt.Errorf("resolving %s: too many levels of symbolic links", dir)
		}
		target, err := root.Readlink(cur)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(target, "/") {
			done = nil
		}
		todo = append(splitPath(target), todo...)
	}
	return path.Join(done...), nil
}

func splitPath(p string) []string {
	return strings.Split(strings.Trim(p, "/"), "/")
}

// Resolve resolves every element of p (relative to root) as the kernel
// would inside a chroot at root, the last one included, and returns the
// path relative to root. Readers of a stage's or the context's files use it
// so that no symlink, absolute or climbing, leads outside.
func Resolve(root *os.Root, p string) (string, error) {
	return resolveDir(root, p)
}

// ResolveParent resolves the directories above p but not p itself: a
// symlink named by p stays a symlink (COPY copies links as links).
func ResolveParent(root *os.Root, p string) (string, error) {
	p = path.Clean("/" + p)
	if p == "/" {
		return "", nil
	}
	dir, err := resolveDir(root, path.Dir(p))
	if err != nil {
		return "", err
	}
	return path.Join(dir, path.Base(p)), nil
}
