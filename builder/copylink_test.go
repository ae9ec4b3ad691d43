package builder

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestCopyLinkReusedOnAnotherBase: a COPY --link layer does not depend on
// the layers below, so when they change it comes from the cache (the same
// blob), while the steps after it, which see the new base, build again.
// Without --link the COPY builds again too.
func TestCopyLinkReusedOnAnotherBase(t *testing.T) {
	for _, c := range []struct {
		flag       string
		wantCached bool
	}{{"--link", true}, {"", false}} {
		dir, cache := t.TempDir(), t.TempDir()
		build := func(base string) *Result {
			t.Helper()
			writeFiles(t, dir, map[string]string{
				// Line 4 reads nothing that changes but the base (its /d
				// parent's owner, set by line 2).
				"Dockerfile": "FROM scratch\nCOPY --chown=" + base + " base.txt /d/base\nCOPY " + c.flag + " a.txt /app/\nCOPY a.txt /d/\n",
				"base.txt":   base, "a.txt": "a\n",
			})
			res, err := Build(context.Background(), WithContextDir(dir), WithDockerfile(filepath.Join(dir, "Dockerfile")),
				WithCacheDir(cache), WithEpoch(time.Unix(1700000000, 0)))
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		first := build("1")
		second := build("2")
		status := map[int]Status{}
		for _, s := range second.Steps {
			status[s.Line] = s.Status
		}
		if got := status[3] == StatusCached; got != c.wantCached {
			t.Errorf("COPY %s after the layer below changed: status %s, want cached=%v", c.flag, status[3], c.wantCached)
		}
		if status[2] == StatusCached || status[4] == StatusCached {
			t.Errorf("COPY %s: the steps that see the changed file came from the cache (%s, %s)", c.flag, status[2], status[4])
		}
		if c.wantCached {
			l1, _ := first.Image.Layers()
			l2, _ := second.Image.Layers()
			d1, _ := l1[1].Digest()
			d2, _ := l2[1].Digest()
			if d1 != d2 {
				t.Errorf("the --link layer differs on the new base: %s, then %s", d1, d2)
			}
		}
	}
}
