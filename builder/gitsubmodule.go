package builder

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Submodules are checked out as `git submodule update --init --recursive
// --depth=1` does (BuildKit's way), but each submodule commit is fetched
// through the git cache (gitcache.go), one entry per redacted URL and
// commit: a rebuild of the same commit fetches nothing from any server,
// and a new submodule commit fetches only that. git clones the submodule
// from the cache entry; afterwards the URLs are set back to the real
// (redacted) ones, so a kept .git directory names the real remotes.

// updateSubmodules checks out the submodules of the checkout workTree
// (git directory gitDir), and theirs, from the git cache.
func (sr *sources) updateSubmodules(ctx context.Context, g *gitSource, gitDir, workTree string) error {
	if _, err := os.Lstat(filepath.Join(workTree, ".gitmodules")); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	git := sr.gitCLI(g.auth, gitDir).worktree(workTree)
	if _, err := git.run(ctx, "submodule", "init"); err != nil {
		return err
	}
	paths, err := git.run(ctx, "config", "-f", filepath.Join(workTree, ".gitmodules"), "--null", "--get-regexp", `^submodule\..*\.path$`)
	if err != nil {
		return fmt.Errorf("reading .gitmodules: %w", err)
	}
	names := map[string]string{} // path → name
	for _, kv := range strings.Split(string(paths), "\x00") {
		k, v, ok := strings.Cut(kv, "\n")
		if ok {
			names[v] = strings.TrimSuffix(strings.TrimPrefix(k, "submodule."), ".path")
		}
	}
	index, err := git.run(ctx, "ls-files", "--stage", "-z")
	if err != nil {
		return err
	}
	for _, e := range bytes.Split(index, []byte{0}) {
		meta, p, ok := strings.Cut(string(e), "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 3 || f[0] != "160000" {
			continue
		}
		name, ok := names[p]
		if !ok {
			continue // no .gitmodules entry: git skips it too
		}
		raw, err := git.run(ctx, "config", "--get", "submodule."+name+".url")
		if err != nil {
			continue // not initialized (inactive): git skips it too
		}
		if err := sr.updateSubmodule(ctx, g, git, name, p, f[1], strings.TrimSpace(string(raw))); err != nil {
			return fmt.Errorf("submodule %s (%s): %w", p, redactURL(strings.TrimSpace(string(raw))), err)
		}
	}
	return nil
}

// updateSubmodule checks out one submodule at commit from the cache entry
// for rawURL, then its own submodules.
func (sr *sources) updateSubmodule(ctx context.Context, g *gitSource, git gitRunner, name, p, commit, rawURL string) error {
	if !gitSHA.MatchString(commit) {
		return fmt.Errorf("invalid submodule commit %q", commit)
	}
	remote, auth := splitURLCredentials(rawURL, g.auth)
	// GIT_PROTOCOL_FROM_USER=0: a submodule URL naming a local path is
	// refused, as git's own submodule update refuses it.
	sub := &gitSource{remote: remote, pullRef: commit, commit: commit, auth: append(auth, "GIT_PROTOCOL_FROM_USER=0"), submodule: true}
	entry, err := sr.cachedRepo(ctx, sub, func(r string) []string {
		return []string{"fetch", "--depth=1", "--no-tags", r, commit}
	})
	if err != nil {
		return err
	}
	key := "submodule." + name + ".url"
	if _, err := git.run(ctx, "config", key, entry); err != nil {
		return err
	}
	if _, err := git.run(ctx, "-c", "protocol.file.allow=always", "submodule", "update", "--depth=1", "--", p); err != nil {
		return fmt.Errorf("checking out %s from the git cache: %w", commit, err)
	}
	if _, err := git.run(ctx, "config", key, redactURL(rawURL)); err != nil {
		return err
	}
	subTree := filepath.Join(git.workTree, filepath.FromSlash(p))
	// Before recursing: relative URLs of nested submodules resolve against
	// the submodule's remote, which must be the real one.
	subGit := sr.gitCLI(g.auth, "").worktree(subTree)
	if _, err := subGit.run(ctx, "remote", "set-url", "origin", redactURL(rawURL)); err != nil {
		return err
	}
	dir, err := subGit.run(ctx, "rev-parse", "--absolute-git-dir")
	if err != nil {
		return err
	}
	return sr.updateSubmodules(ctx, g, strings.TrimSpace(string(dir)), subTree)
}

// splitURLCredentials takes a user and password out of a submodule URL
// (a repository's .gitmodules may hold them) and gives them to git as a
// basic authorization header in its environment instead, so they are never
// written into the git cache. env is the environment to add to.
func splitURLCredentials(raw string, env []string) (string, []string) {
	env = env[:len(env):len(env)]
	u, err := url.Parse(raw)
	if err != nil || u.User == nil || (u.Scheme != "http" && u.Scheme != "https") {
		return raw, env
	}
	pass, _ := u.User.Password()
	cred := base64.StdEncoding.EncodeToString([]byte(u.User.Username() + ":" + pass))
	u.User = nil
	return u.String(), addGitConfig(env, "http."+u.String()+".extraheader", "Authorization: Basic "+cred)
}

// addGitConfig adds one GIT_CONFIG_KEY_n/VALUE_n pair to env.
func addGitConfig(env []string, key, value string) []string {
	n := 0
	var out []string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GIT_CONFIG_COUNT="); ok {
			n, _ = strconv.Atoi(v)
			continue
		}
		out = append(out, kv)
	}
	return append(out, "GIT_CONFIG_COUNT="+strconv.Itoa(n+1),
		fmt.Sprintf("GIT_CONFIG_KEY_%d=%s", n, key), fmt.Sprintf("GIT_CONFIG_VALUE_%d=%s", n, value))
}
