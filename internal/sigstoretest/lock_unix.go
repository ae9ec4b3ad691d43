//go:build unix

package sigstoretest

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive flock on f, waiting for it; it is gone when f
// is closed or the process ends.
func lockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
}
