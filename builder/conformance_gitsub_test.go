package builder

import (
	"context"
	"path/filepath"
	"testing"
)

// TestConformanceGitSubmoduleCache: an ADD of a repository with a
// submodule, built twice with one cache directory (the second build takes
// both checkouts from the git cache), gives BuildKit v0.29's file tree
// both times.
func TestConformanceGitSubmoduleCache(t *testing.T) {
	buildctl, addr := buildkitOracle(t)
	base, baseDir, baseDigest := busyboxLayout(t)
	gs := startGitServer(t)
	c := conformanceCase{name: "git-submodule-cached", known: "a submodule's .git file points at the checkout's git directory, which is in BuildKit's state directory and outside the image in both", dockerfile: gs.expand("FROM stevedore-test/busybox:1\nADD {{GIT}}/repo.git#withsub /w\nRUN ls -a /w/mod > /ls && cat /w/mod/file > /out\n")}
	dir := filepath.Join(t.TempDir(), "ctx")
	makeContext(t, dir, c)
	want := buildkitBuild(buildctl, addr, baseDir, baseDigest, dir, t.TempDir(), c)
	if want.err == nil {
		t.Logf("BuildKit's w/mod/.git: %q", imageFile(t, want.img, "w/mod/.git"))
	}
	cache := t.TempDir()
	fetched := 0
	for i, name := range []string{"cold", "cached"} {
		t.Run(name, func(t *testing.T) {
			opts := append(stevedoreOptions(t, base, dir, c), WithCacheDir(cache), WithNoCache(true))
			res, err := Build(context.Background(), opts...)
			compareWithBuildkit(t, c, res, err, want)
			n := gs.fetches.count("sub.git")
			if i == 1 && n != fetched {
				t.Errorf("the cached build fetched sub.git again (%d fetch requests, %d before)", n, fetched)
			}
			fetched = n
		})
	}
}
