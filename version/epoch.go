package version

import (
	"context"
	"fmt"
	"time"
)

// CommitTime returns the committer time of HEAD in the repository holding
// dir: the default build epoch, so that the same commit builds the same
// image on any machine. It works on shallow clones (one commit is enough).
// ErrNotGit when dir is not inside a repository, ErrNoCommits when it has
// no commit yet.
func CommitTime(ctx context.Context, dir string) (time.Time, error) {
	g := git{dir: dir}
	if _, err := g.run(ctx, "rev-parse", "--verify", "-q", "HEAD^{commit}"); err != nil {
		switch exitCode(err) {
		case 128:
			return time.Time{}, fmt.Errorf("reading commit time in %s: %w", dir, ErrNotGit)
		case 1:
			return time.Time{}, fmt.Errorf("reading commit time in %s: %w", dir, ErrNoCommits)
		}
		return time.Time{}, fmt.Errorf("reading commit time in %s: %w", dir, err)
	}
	_, t, err := g.head(ctx)
	if err != nil {
		return time.Time{}, fmt.Errorf("reading commit time in %s: %w", dir, err)
	}
	return t, nil
}
