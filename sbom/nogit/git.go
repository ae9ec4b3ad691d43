// Package git is a stand-in for github.com/go-git/go-git/v5 with the API
// syft compiles against. syft clones Git repositories only to look up
// licenses of Go modules remotely (search-remote-licenses, off by default
// and never set by stevedore) and in its vcpkg cataloger (directory set
// only); stevedore catalogs images with neither, so release builds replace
// go-git with this package, whose every operation fails with
// ErrUnsupported instead.
package git

import (
	"context"
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage"
)

// ErrUnsupported is returned by every operation: a release binary of
// stevedore opens and clones no Git repository through go-git.
var ErrUnsupported = plumbing.ErrUnsupported

// Repository is an opened repository; none ever is.
type Repository struct {
	Storer storage.Storer
}

// CloneOptions says what to clone.
type CloneOptions struct {
	URL           string
	ReferenceName plumbing.ReferenceName
	SingleBranch  bool
	Depth         int
	Progress      io.Writer
}

// CheckoutOptions says what to check out.
type CheckoutOptions struct {
	Hash plumbing.Hash
}

// Worktree is a repository's work tree.
type Worktree struct{}

func refuse(what string) error { return fmt.Errorf("%s: %w", what, ErrUnsupported) }

// Clone refuses, naming the URL.
func Clone(_ storage.Storer, _ any, o *CloneOptions) (*Repository, error) {
	return CloneContext(context.Background(), nil, nil, o)
}

// CloneContext refuses, naming the URL.
func CloneContext(_ context.Context, _ storage.Storer, _ any, o *CloneOptions) (*Repository, error) {
	url := ""
	if o != nil {
		url = o.URL
	}
	return nil, refuse("clone " + url)
}

// Open refuses.
func Open(storage.Storer, any) (*Repository, error) { return nil, refuse("open repository") }

// PlainOpen refuses, naming the path.
func PlainOpen(path string) (*Repository, error) { return nil, refuse("open " + path) }

// PlainInit refuses, naming the path.
func PlainInit(path string, _ bool) (*Repository, error) { return nil, refuse("init " + path) }

// ResolveRevision refuses.
func (*Repository) ResolveRevision(plumbing.Revision) (*plumbing.Hash, error) {
	return nil, refuse("resolve revision")
}

// Worktree refuses.
func (*Repository) Worktree() (*Worktree, error) { return nil, refuse("work tree") }

// CommitObject refuses.
func (*Repository) CommitObject(plumbing.Hash) (*object.Commit, error) {
	return nil, refuse("commit")
}

// TreeObject refuses.
func (*Repository) TreeObject(plumbing.Hash) (*object.Tree, error) { return nil, refuse("tree") }

// Checkout refuses.
func (*Worktree) Checkout(*CheckoutOptions) error { return refuse("checkout") }
