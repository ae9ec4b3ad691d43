package layer

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
	"time"
)

// OCI whiteout names (image-spec layer.md).
const (
	whiteoutPrefix = ".wh."
	opaqueMarker   = ".wh..wh..opq"
)

// tarFormat is pinned: PAX, which Go's writer degrades to plain USTAR for
// every header that needs no extension record, so records appear only for
// long names, large ids and xattrs, never for times (those are whole
// seconds). Letting the writer choose per header could pick GNU for some.
const tarFormat = tar.FormatPAX

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// clampTime applies the build epoch the way BuildKit's rewrite-timestamp
// (SOURCE_DATE_EPOCH) does: anything newer than the epoch becomes the
// epoch, older times stay, so files from the base image or a source
// checkout keep meaningful dates. A zero time means "made by this build".
// Sub-second parts are dropped so no PAX time record is needed.
func clampTime(t, epoch time.Time) time.Time {
	if t.IsZero() || t.After(epoch) {
		t = epoch
	}
	return time.Unix(t.Unix(), 0)
}

// writeTar writes the change set as a deterministic tar stream: the bytes
// depend only on the entries, their content and epoch.
func writeTar(ctx context.Context, w io.Writer, c *Changes, epoch time.Time) error {
	tw := tar.NewWriter(w)
	type inode struct{ dev, ino uint64 }
	links := map[inode]string{}
	bufp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bufp)
	for _, e := range c.Entries() {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("writing layer: %w", err)
		}
		if e.Kind != KindWhiteout && strings.HasPrefix(path.Base(e.Path), whiteoutPrefix) {
			// A real file named like a whiteout would delete something
			// when the layer is applied.
			return fmt.Errorf("writing layer entry %s: names starting with %q are reserved for whiteouts: %w", e.Path, whiteoutPrefix, ErrInvalidPath)
		}
		hdr := &tar.Header{
			Name:    e.Path,
			Mode:    tarMode(e.Mode),
			Uid:     e.UID,
			Gid:     e.GID,
			ModTime: clampTime(e.ModTime, epoch),
			Format:  tarFormat,
		}
		for name, v := range e.Xattrs {
			if hdr.PAXRecords == nil {
				hdr.PAXRecords = map[string]string{}
			}
			hdr.PAXRecords["SCHILY.xattr."+name] = string(v)
		}
		switch e.Kind {
		case KindWhiteout:
			dir, base := path.Split(e.Path)
			hdr = &tar.Header{Name: dir + whiteoutPrefix + base, Typeflag: tar.TypeReg,
				ModTime: clampTime(time.Time{}, epoch), Format: tarFormat}
		case KindDir:
			hdr.Typeflag, hdr.Name = tar.TypeDir, e.Path+"/"
		case KindSymlink:
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, e.Linkname
		case KindCharDevice, KindBlockDevice:
			hdr.Typeflag = tar.TypeChar
			if e.Kind == KindBlockDevice {
				hdr.Typeflag = tar.TypeBlock
			}
			hdr.Devmajor, hdr.Devminor = int64(e.Devmajor), int64(e.Devminor)
		case KindFIFO:
			hdr.Typeflag = tar.TypeFifo
		case KindFile:
			hdr.Typeflag, hdr.Size = tar.TypeReg, e.Size
			if e.src != "" && e.nlink > 1 {
				// The first path in layer order carries the content; the
				// others link to it, as in the source tree.
				k := inode{e.dev, e.ino}
				if first, ok := links[k]; ok {
					hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
				} else {
					links[k] = e.Path
				}
			}
		default:
			return fmt.Errorf("writing layer entry %s: unknown kind %s: %w", e.Path, e.Kind, ErrUnsupported)
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("writing layer entry %s: %w", e.Path, err)
		}
		if e.Kind == KindDir && e.Opaque {
			// Right after its directory, before any child: extractors that
			// apply entries in order must not hide this layer's own files.
			op := &tar.Header{Name: e.Path + "/" + opaqueMarker, Typeflag: tar.TypeReg,
				ModTime: clampTime(time.Time{}, epoch), Format: tarFormat}
			if err := tw.WriteHeader(op); err != nil {
				return fmt.Errorf("writing layer entry %s: %w", op.Name, err)
			}
		}
		if hdr.Typeflag == tar.TypeReg && e.Kind == KindFile && hdr.Size > 0 {
			if err := writeContent(tw, e, *bufp); err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("writing layer: %w", err)
	}
	return nil
}

func writeContent(tw *tar.Writer, e Entry, buf []byte) error {
	if e.src == "" {
		if _, err := tw.Write(e.data); err != nil {
			return fmt.Errorf("writing layer entry %s: %w", e.Path, err)
		}
		return nil
	}
	f, err := os.Open(e.src)
	if err != nil {
		return fmt.Errorf("reading %s: %w", e.src, err)
	}
	defer f.Close()
	n, err := io.CopyBuffer(tw, io.LimitReader(f, e.Size), buf)
	if err != nil {
		return fmt.Errorf("copying %s into the layer: %w", e.src, err)
	}
	if n != e.Size {
		return fmt.Errorf("copying %s into the layer: file shrank from %d to %d bytes while the layer was written", e.src, e.Size, n)
	}
	return nil
}

func tarMode(m fs.FileMode) int64 {
	mode := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		mode |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		mode |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		mode |= 0o1000
	}
	return mode
}
