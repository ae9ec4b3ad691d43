//go:build unix

package store

import (
	"errors"
	"os"
	"syscall"
)

// holdDir takes a shared lock on dir for as long as the returned file is
// open. flock locks belong to the open file and vanish with the process,
// so a killed build never leaves a directory held.
func holdDir(dir string) (*os.File, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// tryHoldDir takes an exclusive lock on dir without waiting; held reports
// that a live build holds it.
func tryHoldDir(dir string) (f *os.File, held bool, err error) {
	f, err = os.Open(dir)
	if err != nil {
		return nil, false, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, true, nil
		}
		return nil, false, err
	}
	return f, false, nil
}
