//go:build unix

package store

import (
	"os"
	"syscall"
)

func lockFile(f *os.File, exclusive bool) error {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	return syscall.Flock(int(f.Fd()), how)
}

func lockShared(path string) (func(), error)    { return lockPath(path, false) }
func lockExclusive(path string) (func(), error) { return lockPath(path, true) }

// lockPath opens its own file for every lock: flock locks belong to the
// open file, so two goroutines sharing one would release each other's.
func lockPath(path string, exclusive bool) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := lockFile(f, exclusive); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}
