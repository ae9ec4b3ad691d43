// Package object is the stand-in for go-git's plumbing/object.
package object

import "github.com/go-git/go-git/v5/plumbing"

// Commit is a commit object.
type Commit struct{}

// Tree refuses.
func (*Commit) Tree() (*Tree, error) { return nil, plumbing.ErrUnsupported }

// Tree is a tree object.
type Tree struct{}

// File refuses.
func (*Tree) File(string) (*File, error) { return nil, plumbing.ErrUnsupported }

// File is a file in a tree.
type File struct{}

// Contents refuses.
func (*File) Contents() (string, error) { return "", plumbing.ErrUnsupported }
