// Package atomicfile writes a file so that it appears whole or not at all,
// and survives a crash once written: a temporary file in the same directory
// (so the rename cannot cross filesystems), fsync of the file, rename over
// the target, fsync of the directory (so the rename itself is durable).
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// TempSuffix frames the name of the temporary file for
// target NAME: ".NAME.tmp-DIGITS". Sweeps of stale temporary files match
// exactly this.
const TempSuffix = ".tmp-"

// WriteFile replaces path with data, creating its directory. A reader sees
// the old content or the new, never a mix; on error the target is untouched
// and no temporary file is left.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating directory %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+TempSuffix+"*")
	if err != nil {
		return fmt.Errorf("creating temporary file for %s: %w", path, err)
	}
	defer os.Remove(f.Name()) // no-op after a successful rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}
