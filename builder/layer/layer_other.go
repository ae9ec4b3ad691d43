//go:build !unix

package layer

import (
	"context"
	"errors"
	"fmt"
)

// errNeedsUnix: layers carry Unix modes, owners and inodes, which files
// here do not have; making them up would give another image than the same
// build on Linux or macOS.
var errNeedsUnix = errors.New("layers from files on disk need Linux or macOS: build with a BuildKit daemon instead (--builder tcp://HOST:PORT, or builder: in stevedore.yaml)")

// Diff needs Unix file metadata; see errNeedsUnix.
func Diff(_ context.Context, lower, upper string) (*Changes, error) {
	return nil, fmt.Errorf("comparing %s with %s: %w", lower, upper, errNeedsUnix)
}

// FromOverlay needs overlayfs, which is Linux's.
func FromOverlay(_ context.Context, upperDir string) (*Changes, error) {
	return nil, fmt.Errorf("reading overlay upper directory %s: %w", upperDir, errNeedsUnix)
}

func statEntry(abs, _ string) (Entry, error) {
	return Entry{}, fmt.Errorf("reading metadata of %s: %w", abs, errNeedsUnix)
}
