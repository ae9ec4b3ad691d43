//go:build !unix

package sigstoretest

import "os"

// lockFile: without flock only this process's mutex serializes the
// timestamp authorities; test binaries run one at a time there (-p 1).
func lockFile(*os.File) error { return nil }
