// Package rootfs materializes image layers as a directory tree: the root
// filesystem a build step runs in. It applies OCI whiteouts and refuses any
// entry that would write outside the tree, since base-image layers are
// untrusted input.
package rootfs

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

const (
	whiteoutPrefix = ".wh."
	opaqueMarker   = ".wh..wh..opq"
)

// Stats counts what Apply did, so callers can report and tests can check.
type Stats struct {
	Files, Dirs, Links, Whiteouts int
	// Skipped lists entries that cannot be materialized here (device
	// nodes and FIFOs when not root); the layer itself still carries them.
	Skipped []string
}

type options struct {
	chown bool
}

// Option configures Apply.
type Option func(*options)

// WithOwnership sets whether file owners from the layer are applied
// (default: only when running as root, since nobody else may chown).
func WithOwnership(on bool) Option { return func(o *options) { o.chown = on } }

// Apply extracts layer onto the tree at dir, on top of what earlier layers
// put there: regular files, directories, symlinks, hard links, modes
// (including setuid, setgid and sticky), owners and modification times.
// Whiteouts (.wh.NAME) delete NAME; an opaque marker (.wh..wh..opq) empties
// its directory of everything lower layers put there.
func Apply(ctx context.Context, dir string, layer v1.Layer, opts ...Option) (Stats, error) {
	digest, _ := layer.Digest()
	rc, err := layer.Uncompressed()
	if err != nil {
		return Stats{}, fmt.Errorf("reading layer %s: %w", digest, err)
	}
	defer rc.Close()
	st, err := ApplyTar(ctx, dir, rc, opts...)
	if err != nil {
		return st, fmt.Errorf("applying layer %s: %w", digest, err)
	}
	return st, nil
}

// ApplyTar is Apply for an uncompressed layer tar stream.
func ApplyTar(ctx context.Context, dir string, r io.Reader, opts ...Option) (Stats, error) {
	o := options{chown: os.Geteuid() == 0}
	for _, opt := range opts {
		opt(&o)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Stats{}, fmt.Errorf("creating root filesystem %s: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return Stats{}, fmt.Errorf("opening root filesystem %s: %w", dir, err)
	}
	defer root.Close()

	a := &applier{root: root, opts: o, written: map[string]bool{}}
	tr := tar.NewReader(r)
	for {
		if err := ctx.Err(); err != nil {
			return a.stats, err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return a.stats, fmt.Errorf("reading tar: %w", err)
		}
		name, err := cleanName(hdr.Name)
		if err != nil {
			return a.stats, err
		}
		if name == "" {
			continue // the root itself
		}
		if err := a.entry(name, hdr, tr); err != nil {
			return a.stats, fmt.Errorf("extracting %s: %w", hdr.Name, err)
		}
	}
	// Directory times last: creating children changed them.
	for _, d := range slices.Backward(a.dirTimes) {
		_ = root.Chtimes(d.name, d.mtime, d.mtime)
	}
	return a.stats, nil
}

type dirTime struct {
	name  string
	mtime time.Time
}

type applier struct {
	root     *os.Root
	opts     options
	stats    Stats
	written  map[string]bool // paths this layer created, which an opaque marker keeps
	dirTimes []dirTime
}

// cleanName turns a tar entry name into a path relative to the root,
// refusing names that climb out of it.
func cleanName(n string) (string, error) {
	c := path.Clean("/" + n)
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return "", fmt.Errorf("extracting %q: the entry climbs out of the root filesystem", n)
		}
	}
	return strings.TrimPrefix(c, "/"), nil
}

func (a *applier) entry(name string, hdr *tar.Header, r io.Reader) error {
	dir, base := path.Split(name)
	dir, err := resolveDir(a.root, strings.TrimSuffix(dir, "/"))
	if err != nil {
		return err
	}
	name = path.Join(dir, base)
	if base == opaqueMarker {
		a.stats.Whiteouts++
		return a.opaque(dir)
	}
	if target, ok := strings.CutPrefix(base, whiteoutPrefix); ok {
		a.stats.Whiteouts++
		err := a.root.RemoveAll(path.Join(dir, target))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	if dir != "" {
		if err := a.root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	// A new entry replaces whatever lower layers had at that path, except
	// that a directory over a directory merges.
	if fi, err := a.root.Lstat(name); err == nil {
		if !(fi.IsDir() && hdr.Typeflag == tar.TypeDir) {
			if err := a.root.RemoveAll(name); err != nil {
				return err
			}
		}
	}
	// Ancestors count as written too: an opaque marker for a parent must
	// not remove directories this layer created implicitly.
	for p := name; p != "." && p != "" && !a.written[p]; p = path.Dir(p) {
		a.written[p] = true
	}
	mode := hdr.FileInfo().Mode()
	switch hdr.Typeflag {
	case tar.TypeDir:
		a.stats.Dirs++
		if err := a.root.Mkdir(name, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		if err := a.attrs(name, hdr, mode); err != nil {
			return err
		}
		a.dirTimes = append(a.dirTimes, dirTime{name, hdr.ModTime})
		return nil
	case tar.TypeReg, tar.TypeRegA:
		a.stats.Files++
		f, err := a.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, r); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		if err := a.attrs(name, hdr, mode); err != nil {
			return err
		}
		return a.root.Chtimes(name, hdr.ModTime, hdr.ModTime)
	case tar.TypeSymlink:
		a.stats.Links++
		if err := a.root.Symlink(hdr.Linkname, name); err != nil {
			return err
		}
		if a.opts.chown {
			return a.root.Lchown(name, hdr.Uid, hdr.Gid)
		}
		return nil
	case tar.TypeLink:
		a.stats.Links++
		target, err := cleanName(hdr.Linkname)
		if err != nil {
			return err
		}
		tdir, tbase := path.Split(target)
		if tdir, err = resolveDir(a.root, strings.TrimSuffix(tdir, "/")); err != nil {
			return err
		}
		return a.root.Link(path.Join(tdir, tbase), name)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		// os.Root cannot make device nodes; RUN steps get a fresh /dev
		// anyway, so these matter only inside the image, which keeps them.
		a.stats.Skipped = append(a.stats.Skipped, name)
		delete(a.written, name)
		return nil
	default:
		return fmt.Errorf("unsupported tar entry type %q", hdr.Typeflag)
	}
}

// attrs sets owner, then mode: chown clears setuid and setgid bits.
func (a *applier) attrs(name string, hdr *tar.Header, mode fs.FileMode) error {
	if a.opts.chown {
		if err := a.root.Lchown(name, hdr.Uid, hdr.Gid); err != nil {
			return err
		}
	}
	return a.root.Chmod(name, mode&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky))
}

// opaque removes what lower layers put in dir, keeping what this layer
// already wrote there (the marker may come after its siblings in the tar).
func (a *applier) opaque(dir string) error {
	d := dir
	if d == "" {
		d = "."
	}
	f, err := a.root.Open(d)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return err
	}
	for _, n := range names {
		p := path.Join(dir, n)
		if a.written[p] {
			continue
		}
		if err := a.root.RemoveAll(p); err != nil {
			return err
		}
	}
	return nil
}
