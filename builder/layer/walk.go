package layer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// errSkip marks an object that has no place in a layer.
var errSkip = errors.New("skip")

// addTree adds abs and, for a directory, everything below it.
func addTree(ctx context.Context, abs, rel string, opaque bool, out *[]Entry) error {
	e, err := statEntry(abs, rel)
	if errors.Is(err, errSkip) {
		return nil
	}
	if err != nil {
		return err
	}
	e.Opaque = opaque && e.Kind == KindDir
	*out = append(*out, e)
	if e.Kind != KindDir {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("reading %s: %w", abs, err)
	}
	names, err := readDirNames(abs)
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := addTree(ctx, filepath.Join(abs, n), joinRel(rel, n), false, out); err != nil {
			return err
		}
	}
	return nil
}

// readDirNames lists a directory without stat-ing its children (the caller
// lstat-s each once anyway); the order does not matter, entries are sorted
// at the end.
func readDirNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	return names, nil
}

func joinRel(rel, name string) string {
	if rel == "" {
		return name
	}
	return rel + "/" + name
}
