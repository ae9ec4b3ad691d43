package builder

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestGitCheckoutCache: a checkout is fetched once per remote, ref and
// commit and then read from the cache directory, by later builds whose
// steps miss the cache for other reasons and by concurrent ones; a branch
// that moved is fetched again. Fetches are counted by the git server.
func TestGitCheckoutCache(t *testing.T) {
	gs := startGitServer(t)
	cache := t.TempDir()
	build := func(dest, want string) {
		t.Helper()
		res, err := buildGit(t, gs, cache, "FROM scratch\nADD {{GIT}}/repo.git#feature "+dest+"\n")
		if err != nil {
			t.Fatalf("ADD to %s: %v", dest, err)
		}
		if got := imageFile(t, res.Image, strings.TrimPrefix(dest, "/")+"/sub/foo"); got != want {
			t.Errorf("%s/sub/foo = %q, want %q", dest, got, want)
		}
	}
	build("/a", "subfeature\n")
	if n := gs.fetches.count("repo.git"); n != 1 {
		t.Fatalf("the first build fetched %d times, want 1", n)
	}
	// Another destination: the step misses, the checkout does not.
	build("/b", "subfeature\n")
	if n := gs.fetches.count("repo.git"); n != 1 {
		t.Errorf("a second build of the same commit fetched again (%d fetches in all)", n)
	}

	// The branch moves: a new commit, fetched.
	git := exec.Command("/bin/sh", "-ec", `git checkout -q feature
echo moved > sub/foo
git commit -qam moved
git push -q ../repo.git feature
git checkout -q master`)
	git.Dir = filepath.Join(gs.root, "work")
	git.Env = append(os.Environ(), "HOME="+gs.root, "GIT_CONFIG_NOSYSTEM=1")
	if out, err := git.CombinedOutput(); err != nil {
		t.Fatalf("moving the branch: %v\n%s", err, out)
	}
	build("/c", "moved\n")
	if n := gs.fetches.count("repo.git"); n != 2 {
		t.Errorf("after the branch moved: %d fetches in all, want 2", n)
	}

	// Concurrent builds of a commit nobody fetched yet fetch it once.
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := buildGit(t, gs, cache, fmt.Sprintf("FROM scratch\nADD {{GIT}}/repo.git#v0.0.1 /p%d\n", i))
			if err != nil {
				t.Errorf("concurrent build %d: %v", i, err)
				return
			}
			if got := imageFile(t, res.Image, fmt.Sprintf("p%d/foo", i)); got != "foo of v0.0.1\n" {
				t.Errorf("concurrent build %d: foo = %q", i, got)
			}
		}()
	}
	wg.Wait()
	if n := gs.fetches.count("repo.git"); n != 3 {
		t.Errorf("4 concurrent builds of one commit: %d fetches in all, want 3", n)
	}
}

// TestGitCacheSurvivesKilledAndDamagedEntries: what a build killed
// mid-fetch leaves (a temporary entry) is removed and fetched anew; an
// entry git cannot read is dropped and fetched again.
func TestGitCacheSurvivesKilledAndDamagedEntries(t *testing.T) {
	gs := startGitServer(t)
	cache := t.TempDir()
	entry := filepath.Join(cache, gitCacheDir, keyOf("git", gs.url+"/repo.git", "refs/tags/v0.0.1", gs.commits["v0.0.1"]))
	dead := entry + ".tmp-123"
	if err := os.MkdirAll(filepath.Join(dead, "objects"), 0o755); err != nil {
		t.Fatal(err)
	}
	df := "FROM scratch\nADD {{GIT}}/repo.git#v0.0.1 /%s\n"
	if _, err := buildGit(t, gs, cache, fmt.Sprintf(df, "a")); err != nil {
		t.Fatalf("with a killed build's temporary entry: %v", err)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the killed build's temporary entry is still there: %v", err)
	}
	if _, err := os.Stat(entry); err != nil {
		t.Fatalf("no cache entry after the build: %v", err)
	}

	// Damage: the fetched objects are gone.
	packs, _ := filepath.Glob(filepath.Join(entry, "objects", "pack", "*"))
	loose, _ := filepath.Glob(filepath.Join(entry, "objects", "??"))
	if len(packs)+len(loose) == 0 {
		t.Fatal("the cache entry holds no objects")
	}
	for _, p := range append(packs, loose...) {
		if err := os.RemoveAll(p); err != nil {
			t.Fatal(err)
		}
	}
	before := gs.fetches.count("repo.git")
	res, err := buildGit(t, gs, cache, fmt.Sprintf(df, "b"))
	if err != nil {
		t.Fatalf("with a damaged entry: %v", err)
	}
	if got := imageFile(t, res.Image, "b/foo"); got != "foo of v0.0.1\n" {
		t.Errorf("b/foo = %q", got)
	}
	if n := gs.fetches.count("repo.git") - before; n != 1 {
		t.Errorf("a damaged entry was fetched %d times, want once", n)
	}
}

// BenchmarkAddGit: an ADD from git whose step misses the cache, with the
// commit fetched from the server each time (cold) and read from the git
// cache of an earlier build (cached).
func BenchmarkAddGit(b *testing.B) {
	gs := startGitServer(b)
	for _, warm := range []bool{false, true} {
		name := "cold"
		if warm {
			name = "cached"
		}
		b.Run(name, func(b *testing.B) {
			cache := b.TempDir()
			for i := 0; b.Loop(); i++ {
				if !warm {
					cache = b.TempDir()
				}
				dir := b.TempDir()
				// Another destination each time: the step always misses.
				df := gs.expand(fmt.Sprintf("FROM scratch\nADD {{GIT}}/repo.git#feature /x%d\n", i))
				if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
					b.Fatal(err)
				}
				if _, err := Build(context.Background(), WithContextDir(dir), WithCacheDir(cache), WithEpoch(time.Unix(1700000000, 0))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A build that reads a checkout from the git cache uses the entry: its
// time moves, so `stevedore cache prune --filter until=…` keeps it.
func TestGitCacheHitTouchesTheEntry(t *testing.T) {
	gs := startGitServer(t)
	cache := t.TempDir()
	if _, err := buildGit(t, gs, cache, "FROM scratch\nADD {{GIT}}/repo.git#feature /a\n"); err != nil {
		t.Fatal(err)
	}
	entries, err := filepath.Glob(filepath.Join(cache, gitCacheDir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	long := time.Now().Add(-48 * time.Hour)
	var repos []string
	for _, e := range entries {
		if fi, err := os.Stat(e); err == nil && fi.IsDir() {
			repos = append(repos, e)
			if err := os.Chtimes(e, long, long); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(repos) == 0 {
		t.Fatalf("no git cache entry in %v", entries)
	}
	// Another destination: the step misses and checks out from the cache.
	if _, err := buildGit(t, gs, cache, "FROM scratch\nADD {{GIT}}/repo.git#feature /b\n"); err != nil {
		t.Fatal(err)
	}
	if n := gs.fetches.count("repo.git"); n != 1 {
		t.Fatalf("%d fetches, want 1: the second build did not read the cache", n)
	}
	touched := 0
	for _, r := range repos {
		if fi, err := os.Stat(r); err == nil && fi.ModTime().After(long.Add(time.Hour)) {
			touched++
		}
	}
	if touched == 0 {
		t.Errorf("no git cache entry of %v was marked used by the build that read it", repos)
	}
}
