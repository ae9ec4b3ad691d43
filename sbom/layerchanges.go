package sbom

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// chainIDs returns the OCI ChainID of every prefix of a layer stack given by
// its diffIDs: ChainID(L0) = DiffID(L0) and ChainID(L0…Ln) =
// sha256(ChainID(L0…Ln-1) + " " + DiffID(Ln)). A ChainID names a layer
// together with everything under it, so the same layer on another base gets
// another ID: that is what makes it a sound key for what a cataloger saw.
func chainIDs(diffIDs []v1.Hash) []v1.Hash {
	out := make([]v1.Hash, len(diffIDs))
	for i, d := range diffIDs {
		if i == 0 {
			out[i] = d
			continue
		}
		sum := sha256.Sum256([]byte(out[i-1].String() + " " + d.String()))
		out[i] = v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
	}
	return out
}

// entryKind is what a layer entry puts at its path.
type entryKind byte

const (
	kindDir      entryKind = 'd'
	kindFile     entryKind = 'f'
	kindLink     entryKind = 'l' // a symbolic or hard link
	kindOther    entryKind = 'o' // a device, fifo or anything else that is not a regular file
	kindWhiteout entryKind = 'w'
	kindOpaque   entryKind = 'q' // an opaque directory marker: the directory's lower contents are hidden
)

// layerChange is one entry of a layer, by its absolute cleaned path. A
// whiteout is given by the path it deletes; an opaque marker by the
// directory it empties.
type layerChange struct {
	Path string
	Kind entryKind
}

// readChanges lists the entries of an uncompressed layer tar from its
// headers alone: file contents are skipped, never extracted or kept.
func readChanges(r io.Reader) ([]layerChange, error) {
	tr := tar.NewReader(r)
	var out []layerChange
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading layer entry after %d entries: %w", len(out), err)
		}
		p := cleanPath(h.Name)
		dir, base := path.Split(p)
		switch {
		case base == ".wh..wh..opq":
			out = append(out, layerChange{Path: cleanPath(dir), Kind: kindOpaque})
			continue
		case strings.HasPrefix(base, ".wh."):
			out = append(out, layerChange{Path: cleanPath(dir + strings.TrimPrefix(base, ".wh.")), Kind: kindWhiteout})
			continue
		}
		k := kindOther
		switch h.Typeflag {
		case tar.TypeDir:
			k = kindDir
		case tar.TypeReg, tar.TypeRegA: //nolint:staticcheck // old archives still carry TypeRegA
			k = kindFile
		case tar.TypeSymlink, tar.TypeLink:
			k = kindLink
		}
		out = append(out, layerChange{Path: p, Kind: k})
	}
}

// layerChangesOf reads the changes of one layer of an image.
func layerChangesOf(l v1.Layer) ([]layerChange, error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return readChanges(rc)
}

func cleanPath(p string) string {
	return path.Clean("/" + p)
}

// within reports whether p is dir or below it.
func within(p, dir string) bool {
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}

// below reports whether p is strictly below dir.
func below(p, dir string) bool {
	return p != dir && within(p, dir)
}

// tree is a squashed file tree: path → what is there.
type tree map[string]entryKind

// apply lays one layer's changes over t, as an overlay file system does.
func (t tree) apply(changes []layerChange) {
	for _, c := range changes {
		switch c.Kind {
		case kindWhiteout:
			t.removeWithin(c.Path, true)
		case kindOpaque:
			t.removeWithin(c.Path, false)
		case kindDir:
			if k, ok := t[c.Path]; ok && k != kindDir {
				t.removeWithin(c.Path, false)
			}
			t[c.Path] = kindDir
		default:
			t.removeWithin(c.Path, false)
			t[c.Path] = c.Kind
		}
	}
}

func (t tree) removeWithin(dir string, self bool) {
	for p := range t {
		if below(p, dir) || (self && p == dir) {
			delete(t, p)
		}
	}
}

// touches reports the first path of relied (paths a catalog depended on,
// found or not) that one of the changes could alter, and whether there is
// one. lower is the tree the changes are laid over.
//
// A whiteout touches its path and everything under it; an opaque marker
// everything under its directory. A directory entry touches its own path
// (its metadata), and everything under it when it replaces something that
// was not a directory (a link, say, through which the lower paths were
// reached). Any other entry touches its path and everything under it, since
// it replaces whatever directory was there.
func touches(changes []layerChange, lower tree, relied []string) (string, bool) {
	sorted := slices.Clone(relied)
	slices.Sort(sorted)
	// anyWithin finds a relied path within dir by binary search over the
	// sorted list: the paths within dir are dir itself and the run that
	// starts with dir+"/".
	anyWithin := func(dir string, self bool) (string, bool) {
		if self {
			if _, ok := slices.BinarySearch(sorted, dir); ok {
				return dir, true
			}
		}
		prefix := dir + "/"
		if dir == "/" {
			prefix = "/"
		}
		i, _ := slices.BinarySearch(sorted, prefix)
		for ; i < len(sorted) && strings.HasPrefix(sorted[i], prefix); i++ {
			if sorted[i] != dir {
				return sorted[i], true
			}
		}
		return "", false
	}
	for _, c := range changes {
		switch c.Kind {
		case kindWhiteout:
			if p, ok := anyWithin(c.Path, true); ok {
				return p, true
			}
		case kindOpaque:
			if p, ok := anyWithin(c.Path, false); ok {
				return p, true
			}
		case kindDir:
			if k, ok := lower[c.Path]; ok && k != kindDir {
				if p, ok := anyWithin(c.Path, true); ok {
					return p, true
				}
			} else if _, ok := slices.BinarySearch(sorted, c.Path); ok {
				return c.Path, true
			}
		default:
			if p, ok := anyWithin(c.Path, true); ok {
				return p, true
			}
		}
	}
	return "", false
}
