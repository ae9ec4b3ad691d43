// Package plumbing is the stand-in for go-git's plumbing.
package plumbing

import (
	"encoding/hex"
	"errors"
)

// ErrUnsupported is what every operation of the stand-in returns.
var ErrUnsupported = errors.New("Git operations are not supported by stevedore's release binary, which catalogs images only (build with `go install github.com/sreevishnu07/stevedore/cmd/stevedore@VERSION` for go-git)")

// ReferenceName is a reference's full name.
type ReferenceName string

// NewTagReferenceName names a tag.
func NewTagReferenceName(name string) ReferenceName { return ReferenceName("refs/tags/" + name) }

// Revision is a revision expression.
type Revision string

// Hash is a SHA-1 object name.
type Hash [20]byte

// NewHash parses a hexadecimal object name.
func NewHash(s string) Hash {
	var h Hash
	b, _ := hex.DecodeString(s)
	copy(h[:], b)
	return h
}

func (h Hash) String() string { return hex.EncodeToString(h[:]) }
