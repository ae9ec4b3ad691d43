// Package memory is the stand-in for go-git's in-memory storage.
package memory

// Storage is an in-memory Storer.
type Storage struct{}

// NewStorage returns an empty Storage.
func NewStorage() *Storage { return &Storage{} }
