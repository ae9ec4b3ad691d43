//go:build !unix

package store

// Lock does not lock without flock: callers that need safety without it
// (two processes filling one cache entry) get it from writing into a
// temporary name and renaming, and at worst do the same work twice.
func Lock(string) (unlock func(), err error) { return func() {}, nil }

// TryLock never finds a lock held without flock.
func TryLock(string) (unlock func(), held bool, err error) { return func() {}, false, nil }
