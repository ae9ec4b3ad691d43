package version

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// git is the package's only door to the repository. Going through the git
// CLI keeps shallow clones, worktrees, alternates and packed refs behaving
// exactly as the user's own git sees them.
type git struct {
	dir string
}

// run executes `git -C dir args...` and returns stdout. Config that changes
// output format (signatures, pagers) is forced off so parsing stays stable.
func (g git) run(ctx context.Context, args ...string) (string, error) {
	full := append([]string{"-C", g.dir, "-c", "log.showSignature=false", "-c", "core.quotePath=false"}, args...)
	cmd := exec.CommandContext(ctx, "git", full...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			return "", fmt.Errorf("running git %s: %w", strings.Join(args, " "), err)
		}
		return "", fmt.Errorf("running git %s: %w: %s", strings.Join(args, " "), err, msg)
	}
	return stdout.String(), nil
}

// exitCode reports git's exit status, or -1 when git did not run at all.
func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// check verifies dir is a full (non-shallow) repository with at least one
// commit. It distinguishes the failures by exit status, not by git's
// (localised) messages.
func (g git) check(ctx context.Context) error {
	if _, err := os.Stat(g.dir); err != nil {
		return fmt.Errorf("reading repository directory: %w", err)
	}
	out, err := g.run(ctx, "rev-parse", "--is-shallow-repository")
	if err != nil {
		if exitCode(err) == 128 {
			return fmt.Errorf("opening repository at %s: %w (run stevedore inside a git checkout, or `git init` it): %v", g.dir, ErrNotGit, err)
		}
		return fmt.Errorf("opening repository at %s: %w", g.dir, err)
	}
	if strings.TrimSpace(out) == "true" {
		return fmt.Errorf("repository at %s is a shallow clone: %w; version planning needs full history and tags: use `actions/checkout` with `fetch-depth: 0`, or run `git fetch --unshallow --tags`", g.dir, ErrShallow)
	}
	if _, err := g.run(ctx, "rev-parse", "--verify", "-q", "HEAD^{commit}"); err != nil {
		if exitCode(err) == 1 {
			return fmt.Errorf("reading HEAD of %s: %w; make a first commit before planning a release", g.dir, ErrNoCommits)
		}
		return fmt.Errorf("reading HEAD of %s: %w", g.dir, err)
	}
	return nil
}

// head returns the full sha and committer time of HEAD.
func (g git) head(ctx context.Context) (string, time.Time, error) {
	out, err := g.run(ctx, "log", "-1", "--format=%H %ct", "HEAD")
	if err != nil {
		return "", time.Time{}, fmt.Errorf("reading HEAD: %w", err)
	}
	sha, ts, ok := strings.Cut(strings.TrimSpace(out), " ")
	if !ok {
		return "", time.Time{}, fmt.Errorf("reading HEAD: unexpected git output %q", out)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("reading HEAD commit time: %w", err)
	}
	return sha, time.Unix(sec, 0).UTC(), nil
}

// branch returns the checked-out branch, or "" on a detached HEAD.
func (g git) branch(ctx context.Context) string {
	out, err := g.run(ctx, "symbolic-ref", "-q", "--short", "HEAD")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(out)
}

// remoteDefaultBranch returns the branch origin/HEAD points at, or "" when
// the clone has no such ref (common for `git init` repos and some CI clones).
func (g git) remoteDefaultBranch(ctx context.Context) string {
	out, err := g.run(ctx, "symbolic-ref", "-q", "refs/remotes/origin/HEAD")
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(strings.TrimSpace(out), "refs/remotes/origin/")
}

// gitTag is one tag peeled to the commit it names.
type gitTag struct {
	Name   string
	Commit string
}

// tags lists every tag that names a commit (lightweight or annotated) and,
// separately, the names of those reachable from HEAD.
func (g git) tags(ctx context.Context) (all []gitTag, reachable map[string]bool, err error) {
	out, err := g.run(ctx, "for-each-ref", "--format=%(refname:strip=2)%00%(objecttype)%00%(objectname)%00%(*objecttype)%00%(*objectname)", "refs/tags")
	if err != nil {
		return nil, nil, fmt.Errorf("listing tags: %w", err)
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, "\x00")
		if len(f) != 5 {
			continue
		}
		switch {
		case f[1] == "commit":
			all = append(all, gitTag{Name: f[0], Commit: f[2]})
		case f[1] == "tag" && f[3] == "commit":
			all = append(all, gitTag{Name: f[0], Commit: f[4]})
		}
		// Tags of trees/blobs cannot be versions of a commit: skipped.
	}
	out, err = g.run(ctx, "for-each-ref", "--merged=HEAD", "--format=%(refname:strip=2)", "refs/tags")
	if err != nil {
		return nil, nil, fmt.Errorf("listing tags reachable from HEAD: %w", err)
	}
	reachable = map[string]bool{}
	for _, name := range strings.Split(out, "\n") {
		if name != "" {
			reachable[name] = true
		}
	}
	return all, reachable, nil
}

// rawCommit is one commit's sha and full message.
type rawCommit struct {
	SHA     string
	Message string
}

// log returns the commits in from..HEAD (all of HEAD's history when from is
// empty), newest first, merge commits and both sides of merges included.
func (g git) log(ctx context.Context, from string) ([]rawCommit, error) {
	rev := "HEAD"
	if from != "" {
		rev = from + "..HEAD"
	}
	out, err := g.run(ctx, "log", "--format=%x1e%H%x00%B", rev, "--")
	if err != nil {
		return nil, fmt.Errorf("reading commits %s: %w", rev, err)
	}
	var commits []rawCommit
	for _, rec := range strings.Split(out, "\x1e") {
		sha, msg, ok := strings.Cut(rec, "\x00")
		if !ok {
			continue
		}
		commits = append(commits, rawCommit{SHA: strings.TrimSpace(sha), Message: strings.TrimSpace(msg)})
	}
	return commits, nil
}
