package version

import (
	"context"
	"fmt"
	"strings"
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

// CreateTag creates the annotated git tag name on commit, the release's
// last step. A tag that already names commit is left as it is (a re-run);
// one naming another commit is ErrTagExists.
func CreateTag(ctx context.Context, dir, name, commit, message string) error {
	g := git{dir: dir}
	if out, err := g.run(ctx, "rev-parse", "-q", "--verify", "refs/tags/"+name+"^{commit}"); err == nil {
		if existing := strings.TrimSpace(out); existing != commit {
			return fmt.Errorf("creating git tag %s: %w: it names %s, not %s", name, ErrTagExists, existing, commit)
		}
		return nil
	}
	if _, err := g.run(ctx, "tag", "-a", "-m", message, name, commit); err != nil {
		return fmt.Errorf("creating git tag %s: %w", name, err)
	}
	return nil
}
