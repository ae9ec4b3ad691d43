// Package storage is the stand-in for go-git's storage.
package storage

// Storer stores a repository's objects and references; the stand-in's
// storages hold nothing.
type Storer interface{}
