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

// TryLock takes the exclusive lock Lock takes on the file at path, if it
// is there, without waiting: held reports that another holds it (a git
// cache entry being filled). A missing file is not locked and not held.
func TryLock(path string) (unlock func(), held bool, err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		if os.IsNotExist(err) {
			return func() {}, false, nil
		}
		return nil, false, fmt.Errorf("locking %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if err == syscall.EWOULDBLOCK {
			return nil, true, nil
		}
		return nil, false, fmt.Errorf("locking %s: %w", path, err)
	}
	return func() { f.Close() }, false, nil
}
