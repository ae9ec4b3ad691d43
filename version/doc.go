// Package version owns release planning: it reads a git repository's tags and
// Conventional Commit history, decides the next semantic version, and turns
// that plan into image tags with docker/metadata-action compatible tag rules.
//
// Planning is read-only: the package never creates tags, never prints, and
// never reads the environment. CI context (event, ref, PR number) comes in
// through [WithEvent] so that the same plan can be reproduced locally.
package version

import "errors"

// Sentinel errors. They are always wrapped with the directory, tag or value
// involved and, where one is known, the fix; test with errors.Is.
var (
	// ErrNotGit: the directory is not inside a git work tree.
	ErrNotGit = errors.New("not a git repository")
	// ErrShallow: history is truncated, so the last tag and the commits since
	// it cannot be known; planning on it would silently produce a wrong version.
	ErrShallow = errors.New("shallow clone")
	// ErrNoCommits: the repository has no HEAD commit yet.
	ErrNoCommits = errors.New("repository has no commits")
	// ErrTagExists: the computed version's git tag already exists on a commit
	// other than HEAD; stevedore refuses to guess another number.
	ErrTagExists = errors.New("tag already exists on another commit")
	// ErrInvalidOption: an option value (bump level, prerelease id) is invalid.
	ErrInvalidOption = errors.New("invalid option")
	// ErrInvalidRule: a tag rule or flavor line is malformed.
	ErrInvalidRule = errors.New("invalid tag rule")
)
