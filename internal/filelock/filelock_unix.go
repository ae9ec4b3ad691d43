//go:build unix

package filelock

import (
	"fmt"
	"os"
	"syscall"
)

// Lock waits for an exclusive lock on the file at path (created if
// missing) and returns the function that lets go of it. The lock belongs
// to the open file, so a killed process never leaves it held.
func Lock(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
