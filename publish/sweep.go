package publish

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// processStart marks "this run": a temporary file older than it cannot
// belong to a write of this process, so it was left by a killed run.
var processStart = time.Now()

// Temporary names written into a layout: go-containerregistry's blob writes
// (os.CreateTemp(dir, HEX), which appends digits, or digits alone for a
// stream whose digest is not known yet) and atomicfile's
// ".NAME.tmp-DIGITS". Nothing else is touched: a finished blob is exactly 64
// hex characters.
var (
	blobTempRE = regexp.MustCompile(`^(?:[0-9a-f]{64})?[0-9]+$`)
	rootTempRE = regexp.MustCompile(`^\.(?:index\.json|oci-layout)\.tmp-[0-9]+$`)
)

// sweepLayout removes temporary files a killed run left in the layout at
// path (kill -9 during a blob write leaves them in blobs/sha256/, where no
// later write would ever reuse them). Files newer than processStart are
// kept: they may be another write in progress.
func sweepLayout(path string) error {
	sweep := func(dir string, re *regexp.Regexp) error {
		entries, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("sweeping temporary files in %s: %w", dir, err)
		}
		for _, e := range entries {
			if !e.Type().IsRegular() || !re.MatchString(e.Name()) || len(e.Name()) == 64 {
				continue
			}
			info, err := e.Info()
			if err != nil || !info.ModTime().Before(processStart) {
				continue
			}
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("removing stale temporary file %s: %w", filepath.Join(dir, e.Name()), err)
			}
		}
		return nil
	}
	if err := sweep(filepath.Join(path, "blobs", "sha256"), blobTempRE); err != nil {
		return err
	}
	return sweep(path, rootTempRE)
}
