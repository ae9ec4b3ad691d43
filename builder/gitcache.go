package builder

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sreevishnu07/stevedore/internal/filelock"
)

// Fetched repositories stay in the cache directory between builds, as
// bare repositories under git/, one per remote (with no credentials: a
// password in a git URL is refused, tokens come from secrets), ref as
// fetched and commit. A step that misses the cache for another reason
// (another base, another destination) then checks out from disk; a branch
// that moved resolves to another commit, so another entry, and is fetched.
// An entry is fetched into a temporary name and renamed into place, under
// a lock per entry: concurrent builds fetch it once, and a build killed
// mid-fetch leaves only a temporary directory, which the next one to fill
// the entry removes.

// gitCacheDir holds the fetched repositories in the cache directory.
const gitCacheDir = "git"

// cachedRepo returns the git directory of the cache entry for g, fetching
// it from g's remote with fetch (the arguments of git for a given remote
// name) unless an earlier build did.
func (sr *sources) cachedRepo(ctx context.Context, g *gitSource, fetch func(remote string) []string) (string, error) {
	dir, err := filepath.Abs(filepath.Join(sr.cacheDir, gitCacheDir))
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating the git cache: %w", err)
	}
	kind := "git"
	if g.submodule {
		kind = "git-submodule" // shallow: not what a top-level ADD of the commit fetches
	}
	entry := filepath.Join(dir, keyOf(kind, redactURL(g.remote), g.pullRef, g.commit))
	unlock, err := filelock.Lock(entry + ".lock")
	if err != nil {
		return "", err
	}
	defer unlock()
	if sr.st.Lease().Use(entry) { // a hit is a use: prune keeps it
		return entry, nil
	}
	// Under the lock, a temporary entry is a killed build's.
	stale, _ := filepath.Glob(entry + ".tmp-*")
	for _, s := range stale {
		if err := os.RemoveAll(s); err != nil {
			return "", fmt.Errorf("removing %s, left by a killed build: %w", s, err)
		}
	}
	tmp, err := os.MkdirTemp(dir, filepath.Base(entry)+".tmp-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	git := sr.gitCLI(g.auth, tmp)
	if _, err := git.run(ctx, "-c", "init.defaultBranch=master", "init", "--bare", tmp); err != nil {
		return "", fmt.Errorf("creating a repository for %s: %w", redactURL(g.remote), err)
	}
	if _, err := git.run(ctx, "remote", "add", "origin", g.remote); err != nil {
		return "", err
	}
	if _, err := git.run(ctx, fetch("origin")...); err != nil {
		return "", fmt.Errorf("failed to fetch remote %s: %w", redactURL(g.remote), err)
	}
	// The entry is named for the commit ls-remote gave: a ref that moved
	// since must not be kept under that name.
	got, err := git.run(ctx, "rev-parse", "FETCH_HEAD", "FETCH_HEAD^{commit}")
	if err != nil {
		return "", err
	}
	if ids := strings.Fields(string(got)); !gitSHA.MatchString(g.pullRef) && !slices.Contains(ids, g.commit) {
		return "", fmt.Errorf("%s of %s moved while building (it was %s, the fetch gave %s): build again", g.pullRef, redactURL(g.remote), g.commit, strings.Join(ids, " "))
	}
	// A ref keeps what was fetched from git's pruning.
	keep := g.commit
	if !gitSHA.MatchString(g.pullRef) {
		keep = strings.Fields(string(got))[0]
	}
	if _, err := git.run(ctx, "update-ref", "refs/stevedore/fetched", keep); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, entry); err != nil {
		if _, serr := os.Stat(entry); serr == nil {
			return entry, nil // filled meanwhile, where there are no locks
		}
		return "", fmt.Errorf("adding %s to the git cache: %w", redactURL(g.remote), err)
	}
	return entry, nil
}

// fetchThroughCache fetches what fetch names for g into the repository of
// git, from the cache (filled from the remote first if needed). An entry
// that git cannot read (damaged on disk) is dropped and fetched again.
func (sr *sources) fetchThroughCache(ctx context.Context, git gitRunner, g *gitSource, fetch func(remote string) []string) error {
	for attempt := 0; ; attempt++ {
		entry, err := sr.cachedRepo(ctx, g, fetch)
		if err != nil {
			return err
		}
		_, err = git.run(ctx, fetch(entry)...)
		if err == nil || attempt > 0 {
			if err != nil {
				return fmt.Errorf("fetching %s from the git cache %s: %w", redactURL(g.remote), entry, err)
			}
			return nil
		}
		if err := dropEntry(entry); err != nil {
			return err
		}
	}
}

// dropEntry removes a damaged cache entry, under its lock.
func dropEntry(entry string) error {
	unlock, err := filelock.Lock(entry + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	if err := os.RemoveAll(entry); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing the damaged git cache entry %s: %w", entry, err)
	}
	return nil
}
