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
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/dfgitutil"

	"github.com/sreevishnu07/stevedore/builder/dockerfile"
)

// ADD from a git repository, as BuildKit v0.29's git source does it: the
// ref is resolved with ls-remote when the step's cache key is worked out
// (the key holds the commit, so a moved branch rebuilds and a pinned one
// does not), and the repository is fetched and checked out only when the
// step misses the cache. Files are checked out without .git unless
// --keep-git-dir (or ?keep-git-dir) asks for it; submodules are fetched
// unless ?submodules=false.

// gitSource is one ADD source naming a git repository, resolved.
type gitSource struct {
	ref        *dfgitutil.GitRef
	remote     string // what git fetches (no fragment, no query)
	commit     string // what ref resolved to (an annotated tag's object when kept)
	pullRef    string // the ref as fetched: refs/heads/x, refs/tags/x or a commit
	keepGitDir bool
	auth       []string // GIT_CONFIG_* entries carrying the auth header; never in a key
	submodule  bool     // a submodule's commit, fetched shallow (gitsubmodule.go)
}

var (
	// gitSHA is a full commit id (SHA-1 or SHA-256).
	gitSHA        = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)
	gitHex        = regexp.MustCompile(`^[a-fA-F0-9]+$`)
	defaultBranch = regexp.MustCompile(`refs/heads/(\S+)`)
	urlPassword   = regexp.MustCompile(`(://[^/@\s:]*):[^/@\s]*@`)
)

// isGitSource reports whether an ADD source names a git repository, with
// BuildKit's rules (an http(s) URL must end in .git; git@host:path and
// ssh:// or git:// URLs always do).
func isGitSource(src string) bool {
	ref, isGit, err := dfgitutil.ParseGitRef(src)
	return err == nil && isGit && !ref.IndistinguishableFromLocal
}

// resolveGit works out which commit an ADD git source stands for.
func (sr *sources) resolveGit(ctx context.Context, src string, op *dockerfile.CopyOp) (*gitSource, error) {
	ref, _, err := dfgitutil.ParseGitRef(src)
	if err != nil {
		return nil, fmt.Errorf("parsing the git source %s: %w", redactURL(src), err)
	}
	g := &gitSource{ref: ref, remote: ref.Remote}
	if op.KeepGitDir != nil && ref.KeepGitDir != nil && *op.KeepGitDir != *ref.KeepGitDir {
		return nil, fmt.Errorf("inconsistent keep-git-dir configuration: --keep-git-dir=%v but the URL says keep-git-dir=%v", *op.KeepGitDir, *ref.KeepGitDir)
	}
	switch {
	case ref.KeepGitDir != nil:
		g.keepGitDir = *ref.KeepGitDir
	case op.KeepGitDir != nil:
		g.keepGitDir = *op.KeepGitDir
	}
	checksum := op.Checksum
	if checksum != "" && ref.Checksum != "" && checksum != ref.Checksum {
		return nil, fmt.Errorf("checksum mismatch %q != %q: --checksum and the URL's commit= disagree", checksum, ref.Checksum)
	}
	if ref.Checksum != "" {
		checksum = ref.Checksum
	}
	if checksum != "" && !gitHex.MatchString(checksum) {
		return nil, fmt.Errorf("invalid checksum %s for Git URL, expected hex commit hash", checksum)
	}
	if u, err := url.Parse(g.remote); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			// BuildKit would keep the URL, password and all, in the image's
			// history; stevedore refuses it.
			return nil, fmt.Errorf("the git URL %s holds a password, which would be stored in the image history: drop it from the URL and pass the token with --secret id=GIT_AUTH_TOKEN,src=FILE", redactURL(g.remote))
		}
	}
	if g.auth, err = sr.gitAuth(g.remote); err != nil {
		return nil, err
	}
	if strings.HasPrefix(ref.Ref, "-") {
		return nil, fmt.Errorf("invalid git ref %q", ref.Ref)
	}

	if gitSHA.MatchString(ref.Ref) {
		if checksum != "" && !strings.HasPrefix(ref.Ref, checksum) {
			return nil, fmt.Errorf("expected checksum to match %s, got %s", checksum, ref.Ref)
		}
		g.commit, g.pullRef = ref.Ref, ref.Ref
		return g, nil
	}
	git := sr.gitCLI(g.auth, "")
	want := ref.Ref
	if want == "" {
		out, err := git.run(ctx, "ls-remote", "--symref", "--", g.remote, "HEAD")
		if err != nil {
			return nil, fmt.Errorf("finding the default branch of %s: %w", redactURL(g.remote), err)
		}
		m := defaultBranch.FindStringSubmatch(string(out))
		if m == nil {
			return nil, fmt.Errorf("could not find the default branch of %s: name a ref with #REF", redactURL(g.remote))
		}
		want = m[1]
	}
	out, err := git.run(ctx, "ls-remote", "--", g.remote, want, want+"^{}")
	if err != nil {
		return nil, fmt.Errorf("failed to fetch remote %s: %w", redactURL(g.remote), err)
	}
	var (
		partialRef      = "refs/" + strings.TrimPrefix(want, "refs/")
		headRef         = "refs/heads/" + strings.TrimPrefix(want, "refs/heads/")
		tagRef          = "refs/tags/" + strings.TrimPrefix(want, "refs/tags/")
		annotatedTagRef = tagRef + "^{}"
	)
	var sha, headSha, tagSha, peeled, used string
	for _, line := range strings.Split(string(out), "\n") {
		lineSha, lineRef, _ := strings.Cut(line, "\t")
		switch lineRef {
		case headRef:
			headSha = lineSha
		case tagRef:
			tagSha = lineSha
		case annotatedTagRef:
			peeled = lineSha
		case partialRef:
			sha, used = lineSha, lineRef
		}
	}
	// As git checkout: a branch wins over a tag of the same name.
	if sha == "" && headSha != "" {
		sha, used = headSha, headRef
	}
	if sha != "" {
		peeled = ""
	}
	if sha == "" {
		sha, used = tagSha, tagRef
	}
	if sha == "" {
		return nil, fmt.Errorf("repository %s does not contain ref %s", redactURL(g.remote), want)
	}
	if checksum != "" && !strings.HasPrefix(sha, checksum) && !strings.HasPrefix(peeled, checksum) {
		got := sha
		if peeled != "" {
			got += " or " + peeled
		}
		return nil, fmt.Errorf("expected checksum to match %s, got %s", checksum, got)
	}
	g.commit, g.pullRef = sha, used
	if peeled != "" && !g.keepGitDir {
		// Without .git the tag object does not show: the commit it points
		// to is what the files are.
		g.commit = peeled
	}
	return g, nil
}

// key is what stands for the checkout in a cache key: the commit and what
// is taken from it, never credentials.
func (g *gitSource) key() string {
	return fmt.Sprintf("git:%s@%s:%s keep=%v submodules=%v mtime=%s", redactURL(g.remote), g.commit, g.ref.SubDir, g.keepGitDir, g.ref.Submodules == nil || *g.ref.Submodules, g.ref.MTime)
}

// checkout fetches the source (through the git cache, gitcache.go) and
// checks it out into a new directory under the build's work directory,
// which it returns.
func (sr *sources) checkout(ctx context.Context, g *gitSource) (string, error) {
	work, err := os.MkdirTemp(sr.work, "git-")
	if err != nil {
		return "", err
	}
	bare := filepath.Join(work, "repo.git")
	git := sr.gitCLI(g.auth, bare)
	if _, err := git.run(ctx, "-c", "init.defaultBranch=master", "init", "--bare", bare); err != nil {
		return "", fmt.Errorf("creating a repository for %s: %w", redactURL(g.remote), err)
	}
	if _, err := git.run(ctx, "remote", "add", "origin", g.remote); err != nil {
		return "", err
	}
	ref := g.pullRef
	target := ref
	if !strings.HasPrefix(ref, "refs/tags/") {
		target = "tags/" + ref
	}
	fetch := func(remote string) []string {
		if gitSHA.MatchString(ref) {
			return []string{"fetch", "--tags", remote, ref}
		}
		return []string{"fetch", "--depth=1", "--no-tags", remote, "--force", "--", ref + ":" + target}
	}
	if err := sr.fetchThroughCache(ctx, git, g, fetch); err != nil {
		return "", err
	}

	dir := filepath.Join(work, "checkout")
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", err
	}
	subdir := path.Join("/", g.ref.SubDir)
	cd := dir
	gitDir := bare
	if g.keepGitDir && subdir == "/" {
		gitDir = filepath.Join(dir, ".git")
		co := sr.gitCLI(nil, gitDir).worktree(dir)
		if _, err := co.run(ctx, "-c", "init.defaultBranch=master", "init"); err != nil {
			return "", err
		}
		if _, err := co.run(ctx, "remote", "add", "origin", "file://"+bare); err != nil {
			return "", err
		}
		kind, err := git.run(ctx, "cat-file", "-t", ref)
		if err != nil {
			return "", err
		}
		pull := ref + ":" + ref
		switch {
		case strings.TrimSpace(string(kind)) == "tag":
			t := ref
			if !strings.HasPrefix(t, "refs/tags/") {
				t = "refs/tags/" + t
			}
			pull = ref + ":" + t
		case gitSHA.MatchString(ref):
			pull = "refs/stevedore/checkout"
			if _, err := git.run(ctx, "update-ref", pull, ref); err != nil {
				return "", err
			}
		}
		if _, err := co.run(ctx, "fetch", "-u", "--depth=1", "--", "origin", pull); err != nil {
			return "", err
		}
		if _, err := co.run(ctx, "checkout", "FETCH_HEAD"); err != nil {
			return "", fmt.Errorf("failed to checkout remote %s: %w", redactURL(g.remote), err)
		}
		if _, err := co.run(ctx, "remote", "set-url", "origin", redactURL(g.remote)); err != nil {
			return "", err
		}
		if _, err := co.run(ctx, "reflog", "expire", "--all", "--expire=now"); err != nil {
			return "", err
		}
		if err := os.Remove(filepath.Join(gitDir, "FETCH_HEAD")); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
	} else {
		if subdir != "/" {
			if cd, err = os.MkdirTemp(dir, "checkout"); err != nil {
				return "", err
			}
		}
		if _, err := git.worktree(cd).run(ctx, "checkout", "--no-overlay", ref, "--", "."); err != nil {
			return "", fmt.Errorf("failed to checkout remote %s: %w", redactURL(g.remote), err)
		}
	}
	if g.ref.Submodules == nil || *g.ref.Submodules {
		if err := sr.updateSubmodules(ctx, g, gitDir, cd); err != nil {
			return "", fmt.Errorf("failed to update submodules for %s: %w", redactURL(g.remote), err)
		}
	}
	if subdir != "/" {
		if err := takeSubdir(dir, cd, subdir); err != nil {
			return "", fmt.Errorf("taking %s from %s: %w", g.ref.SubDir, redactURL(g.remote), err)
		}
	}
	if g.ref.MTime == "commit" {
		out, err := sr.gitCLI(nil, gitDir).run(ctx, "log", "-1", "--format=%ct", ref+"^{commit}")
		if err != nil {
			return "", fmt.Errorf("reading the commit time of %s: %w", redactURL(g.remote), err)
		}
		sec, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
		if err != nil {
			return "", fmt.Errorf("reading the commit time of %s: %q", redactURL(g.remote), out)
		}
		if err := commitTimes(dir, time.Unix(sec, 0)); err != nil {
			return "", fmt.Errorf("setting ?mtime=commit times for %s: %w", redactURL(g.remote), err)
		}
	}
	return dir, nil
}

// commitTimes gives everything below dir the time t (?mtime=commit), links
// included, directories last so writing below them does not move them.
func commitTimes(dir string, t time.Time) error {
	var dirs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir():
			dirs = append(dirs, p)
			return nil
		}
		return setLinkTimes(p, t)
	})
	if err != nil {
		return err
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := os.Chtimes(dirs[i], t, t); err != nil {
			return err
		}
	}
	return nil
}

// takeSubdir moves what subdir of the checkout cd holds up into dir, after
// checking that no part of subdir is a link or a file (a repository must not
// point the build elsewhere).
func takeSubdir(dir, cd, subdir string) error {
	r, err := os.OpenRoot(cd)
	if err != nil {
		return err
	}
	defer r.Close()
	rel := strings.TrimPrefix(path.Clean(subdir), "/")
	p := ""
	for _, part := range strings.Split(rel, "/") {
		p = path.Join(p, part)
		fi, err := r.Lstat(p)
		if err != nil {
			return fmt.Errorf("invalid subdir %s: %w", rel, err)
		}
		if !fi.IsDir() {
			return fmt.Errorf("invalid subdir %s: %s is not a directory", rel, p)
		}
	}
	names, err := os.ReadDir(filepath.Join(cd, filepath.FromSlash(rel)))
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := os.Rename(filepath.Join(cd, filepath.FromSlash(rel), n.Name()), filepath.Join(dir, n.Name())); err != nil {
			return err
		}
	}
	return os.RemoveAll(cd)
}

// gitAuth finds the credentials for remote among the build's secrets, as
// BuildKit does: GIT_AUTH_HEADER.<host>, GIT_AUTH_TOKEN.<host>, then
// GIT_AUTH_HEADER and GIT_AUTH_TOKEN. They reach git as configuration in
// its environment (not its arguments, which other users can read).
func (sr *sources) gitAuth(remote string) ([]string, error) {
	u, err := url.Parse(remote)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, nil
	}
	for _, s := range []struct {
		id    string
		token bool
	}{{"GIT_AUTH_HEADER." + u.Host, false}, {"GIT_AUTH_TOKEN." + u.Host, true}, {"GIT_AUTH_HEADER", false}, {"GIT_AUTH_TOKEN", true}} {
		file, ok := sr.secrets[s.id]
		if !ok {
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("reading the %s secret for %s: %w", s.id, redactURL(remote), err)
		}
		v := strings.TrimRight(string(data), "\r\n")
		if s.token {
			v = "basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:"+v))
		}
		scope := remote
		for _, pfx := range []string{"https://github.com/", "https://www.github.com/"} {
			if strings.HasPrefix(remote, pfx) {
				scope = pfx
			}
		}
		return []string{"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http." + scope + ".extraheader", "GIT_CONFIG_VALUE_0=Authorization: " + v}, nil
	}
	return nil, nil
}

// gitRunner runs the git CLI with a fixed environment: no system or user
// configuration, no prompts, umask 022 (so modes are what a checkout has
// anywhere), and files from the local filesystem refused as submodules.
type gitRunner struct {
	gitDir, workTree string
	env              []string
	sshAuthSock      string
}

func (sr *sources) gitCLI(auth []string, gitDir string) gitRunner {
	return gitRunner{gitDir: gitDir, env: auth, sshAuthSock: sr.sshAgent}
}

func (g gitRunner) worktree(dir string) gitRunner {
	g.workTree = dir
	return g
}

func (g gitRunner) run(ctx context.Context, args ...string) ([]byte, error) {
	bin, err := exec.LookPath("git")
	if err != nil {
		return nil, fmt.Errorf("ADD from a git repository needs the git CLI (Debian: apt-get install git): %w", err)
	}
	full := []string{"-c", "protocol.file.allow=user"}
	if g.workTree != "" {
		full = append(full, "--work-tree", g.workTree)
	}
	if g.gitDir != "" {
		full = append(full, "--git-dir", g.gitDir)
	}
	full = append(full, args...)
	cmd := exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", `umask 022 && exec "$0" "$@"`, bin}, full...)...)
	cmd.Dir = g.workTree
	if cmd.Dir == "" {
		cmd.Dir = "/"
	}
	cmd.Env = append([]string{
		"PATH=/usr/local/bin:/usr/bin:/bin", "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1",
		"HOME=/dev/null", "LC_ALL=C", "GIT_SSH_COMMAND=ssh -F /dev/null -o StrictHostKeyChecking=no",
	}, g.env...)
	if g.sshAuthSock != "" {
		cmd.Env = append(cmd.Env, "SSH_AUTH_SOCK="+g.sshAuthSock)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		denied := strings.Contains(msg, "could not read Username") || strings.Contains(msg, "Authentication failed") || strings.Contains(msg, "403")
		if denied && len(g.env) > 0 {
			return nil, fmt.Errorf("the server refuses the credentials of the GIT_AUTH_TOKEN or GIT_AUTH_HEADER secret (check the value given with --secret): %s", redactURL(msg))
		}
		if denied {
			return nil, fmt.Errorf("the server asks for credentials: pass a token with --secret id=GIT_AUTH_TOKEN,src=FILE (or a whole header with --secret id=GIT_AUTH_HEADER,src=FILE): %s", redactURL(msg))
		}
		if strings.Contains(msg, "Permission denied (publickey") {
			return nil, fmt.Errorf("the server refuses the SSH key: forward an agent holding one with --ssh default: %s", msg)
		}
		return nil, fmt.Errorf("git %s: %w: %s", args[0], err, redactURL(msg))
	}
	return stdout.Bytes(), nil
}

// redactURL masks passwords in URLs within s, as BuildKit's error messages do.
func redactURL(s string) string {
	return urlPassword.ReplaceAllString(s, "${1}:xxxxx@")
}
