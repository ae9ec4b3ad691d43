package version

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/internal/testutil"
)

// repo is a throw-away git repository with deterministic authors and dates,
// so commit shas are the same on every run.
type repo struct {
	t    testing.TB
	dir  string
	tick int
}

func newRepo(t testing.TB) *repo {
	t.Helper()
	r := &repo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	return r
}

func gitEnv(tick int) []string {
	date := fmt.Sprintf("@%d +0000", 1700000000+tick*60)
	return testutil.GitEnv(date)
}

func (r *repo) git(args ...string) string {
	r.t.Helper()
	r.tick++
	cmd := exec.Command("git", append([]string{"-C", r.dir}, args...)...)
	cmd.Env = gitEnv(r.tick)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit makes an empty commit and returns its sha.
func (r *repo) commit(msg string) string {
	r.t.Helper()
	r.git("commit", "-q", "--allow-empty", "-m", msg)
	return r.head()
}

func (r *repo) head() string { return r.git("rev-parse", "HEAD") }

// tag makes lightweight tags on HEAD.
func (r *repo) tag(names ...string) {
	r.t.Helper()
	for _, n := range names {
		r.git("tag", n)
	}
}

// atag makes an annotated tag on HEAD.
func (r *repo) atag(name string) {
	r.t.Helper()
	r.git("tag", "-a", "-m", "release "+name, name)
}

func TestGitCheck(t *testing.T) {
	ctx := context.Background()

	t.Run("not a repository", func(t *testing.T) {
		dir := t.TempDir()
		_, err := Plan(ctx, dir)
		if !errors.Is(err, ErrNotGit) {
			t.Fatalf("err = %v, want ErrNotGit", err)
		}
		if !strings.Contains(err.Error(), dir) {
			t.Errorf("error %q does not name the directory", err)
		}
	})

	t.Run("missing directory", func(t *testing.T) {
		_, err := Plan(ctx, filepath.Join(t.TempDir(), "nope"))
		if err == nil || !strings.Contains(err.Error(), "reading repository directory") {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("no commits", func(t *testing.T) {
		r := newRepo(t)
		_, err := Plan(ctx, r.dir)
		if !errors.Is(err, ErrNoCommits) {
			t.Fatalf("err = %v, want ErrNoCommits", err)
		}
	})

	t.Run("shallow clone", func(t *testing.T) {
		r := newRepo(t)
		r.commit("feat: one")
		r.tag("v1.0.0")
		r.commit("fix: two")
		clone := filepath.Join(t.TempDir(), "clone")
		cmd := exec.Command("git", "clone", "-q", "--depth", "1", "file://"+r.dir, clone)
		cmd.Env = gitEnv(0)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("clone: %v\n%s", err, out)
		}
		_, err := Plan(ctx, clone)
		if !errors.Is(err, ErrShallow) {
			t.Fatalf("err = %v, want ErrShallow", err)
		}
		for _, want := range []string{clone, "fetch-depth: 0", "git fetch --unshallow --tags"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
	})
}

func TestGitTagsAndLog(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	first := r.commit("feat: one")
	r.tag("v1.0.0")
	r.atag("v1.0.1")
	r.git("checkout", "-q", "-b", "side")
	side := r.commit("fix: side")
	r.tag("v9.0.0")
	r.git("checkout", "-q", "main")
	second := r.commit("fix: two\n\nbody line")
	g := git{dir: r.dir}

	all, reach, err := g.tags(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, tg := range all {
		got[tg.Name] = tg.Commit
	}
	want := map[string]string{"v1.0.0": first, "v1.0.1": first, "v9.0.0": side}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("tags = %v, want %v (annotated tags peeled to their commit)", got, want)
	}
	if !reach["v1.0.0"] || !reach["v1.0.1"] || reach["v9.0.0"] {
		t.Errorf("reachable = %v", reach)
	}

	log, err := g.log(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || log[0].SHA != second || log[0].Message != "fix: two\n\nbody line" {
		t.Errorf("log = %+v", log)
	}
	if b := g.branch(ctx); b != "main" {
		t.Errorf("branch = %q", b)
	}
	if b := g.remoteDefaultBranch(ctx); b != "" {
		t.Errorf("remote default branch = %q, want empty without origin", b)
	}
}

func TestPlanHonoursContext(t *testing.T) {
	r := newRepo(t)
	r.commit("feat: a")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Plan(ctx, r.dir); err == nil {
		t.Fatal("Plan with a cancelled context succeeded")
	}
}
