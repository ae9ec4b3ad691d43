//go:build !unix

package store

import "os"

// Without flock, uses and prune are not ordered; the lease file still
// records that a build runs, and prune keeps what it touched.
func lockFile(*os.File, bool) error { return nil }

func lockShared(string) (func(), error)    { return func() {}, nil }
func lockExclusive(string) (func(), error) { return func() {}, nil }
