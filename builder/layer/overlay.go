//go:build unix

package layer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Overlay keeps its own state in xattrs under one of two prefixes: trusted.
// normally, user. when the mount used "userxattr" (rootless).
var overlayXattrPrefixes = []string{"trusted.overlay.", "user.overlay."}

// FromOverlay reads the changes a step made from the overlayfs upper
// directory it ran on. The mount must be gone (or quiescent): the upper
// directory is read as it is.
//
// Overlay's whiteouts (0/0 character devices, or files marked with the
// overlay.whiteout xattr) become KindWhiteout entries, directories marked
// overlay.opaque=y become Opaque. Upper directories that only make sense
// together with the lower layers (overlay.redirect from redirect_dir,
// overlay.metacopy from metacopy=on) are refused with ErrUnsupported: mount
// without those features, or use Diff.
func FromOverlay(ctx context.Context, upperDir string) (*Changes, error) {
	fi, err := os.Stat(upperDir)
	if err != nil {
		return nil, fmt.Errorf("reading overlay upper directory %s: %w", upperDir, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("reading overlay upper directory %s: not a directory", upperDir)
	}
	var entries []Entry
	if err := walkOverlay(ctx, upperDir, "", &entries); err != nil {
		return nil, err
	}
	return newChanges(entries), nil
}

func walkOverlay(ctx context.Context, dir, rel string, out *[]Entry) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("reading overlay upper directory %s: %w", dir, err)
	}
	names, err := readDirNames(dir)
	if err != nil {
		return err
	}
	for _, name := range names {
		abs := filepath.Join(dir, name)
		r := joinRel(rel, name)
		var st unix.Stat_t
		if err := unix.Lstat(abs, &st); err != nil {
			return fmt.Errorf("reading metadata of %s: %w", abs, err)
		}
		whiteout, err := isOverlayWhiteout(abs, &st)
		if err != nil {
			return err
		}
		if whiteout {
			*out = append(*out, Entry{Path: r, Kind: KindWhiteout})
			continue
		}
		for _, attr := range []string{"redirect", "metacopy"} {
			if _, ok, err := overlayXattr(abs, attr); err != nil {
				return err
			} else if ok {
				return fmt.Errorf("reading overlay upper directory: %s carries overlay.%s (mount with redirect_dir=off,metacopy=off or scan with Diff): %w", abs, attr, ErrUnsupported)
			}
		}
		e, err := entryFromStat(abs, r, &st)
		if errors.Is(err, errSkip) {
			continue
		}
		if err != nil {
			return err
		}
		if e.Kind == KindDir {
			v, ok, err := overlayXattr(abs, "opaque")
			if err != nil {
				return err
			}
			// "x" (kernel 6.7+) only says the directory holds xattr
			// whiteouts; "y" is the opaque flag.
			e.Opaque = ok && string(v) == "y"
			*out = append(*out, e)
			if err := walkOverlay(ctx, abs, r, out); err != nil {
				return err
			}
			continue
		}
		*out = append(*out, e)
	}
	return nil
}

func isOverlayWhiteout(abs string, st *unix.Stat_t) (bool, error) {
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFCHR:
		return st.Rdev == 0, nil
	case unix.S_IFREG:
		// Nested overlays (and kernels 6.7+ on request) mark whiteouts as
		// empty files carrying overlay.whiteout instead of devices.
		if st.Size != 0 {
			return false, nil
		}
		_, ok, err := overlayXattr(abs, "whiteout")
		return ok, err
	}
	return false, nil
}

func overlayXattr(abs, attr string) ([]byte, bool, error) {
	for _, p := range overlayXattrPrefixes {
		v, ok, err := getXattr(abs, p+attr)
		if err != nil && !errors.Is(err, unix.EPERM) {
			return nil, false, err
		}
		if ok {
			return v, true, nil
		}
	}
	return nil, false, nil
}
