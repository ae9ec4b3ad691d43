package builder

import (
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitSh runs script in the git server's directory dir, as its owner.
func gitSh(t *testing.T, gs gitServer, dir, script string) {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-ec", script)
	cmd.Dir = filepath.Join(gs.root, dir)
	cmd.Env = append(os.Environ(), "HOME="+gs.root, "GIT_CONFIG_NOSYSTEM=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
}

// TestGitSubmoduleCache: submodule commits come through the git cache: a
// rebuild of the same commit fetches nothing from the server, a new
// submodule commit fetches only that one. Fetches are counted by the git
// server.
func TestGitSubmoduleCache(t *testing.T) {
	gs := startGitServer(t)
	cache := t.TempDir()
	build := func(dest, want string) {
		t.Helper()
		res, err := buildGit(t, gs, cache, "FROM scratch\nADD {{GIT}}/repo.git#withsub "+dest+"\n")
		if err != nil {
			t.Fatalf("ADD to %s: %v", dest, err)
		}
		if got := imageFile(t, res.Image, strings.TrimPrefix(dest, "/")+"/mod/file"); got != want {
			t.Errorf("%s/mod/file = %q, want %q", dest, got, want)
		}
	}
	build("/a", "from the submodule\n")
	// A shallow fetch of one commit takes git more than one request.
	r1, s1 := gs.fetches.count("repo.git"), gs.fetches.count("sub.git")
	if r1 == 0 || s1 == 0 {
		t.Fatalf("the first build fetched repo.git %d and sub.git %d times", r1, s1)
	}
	// Another destination: the step misses, the checkouts do not.
	build("/b", "from the submodule\n")
	if r, s := gs.fetches.count("repo.git"), gs.fetches.count("sub.git"); r != r1 || s != s1 {
		t.Errorf("a rebuild of the same commit fetched again: repo.git %d, sub.git %d fetch requests in all, want %d and %d", r, s, r1, s1)
	}

	// The submodule moves on and the superproject follows.
	gitSh(t, gs, "sub-work", `echo changed > file
git commit -qam changed
git push -q ../sub.git master`)
	gitSh(t, gs, "work", `git checkout -q withsub
git -c protocol.file.allow=always submodule update -q --init
git -C mod pull -q origin master
git commit -qam "new submodule commit"
git push -q ../repo.git withsub
git checkout -q master`)
	build("/c", "changed\n")
	if r, s := gs.fetches.count("repo.git"), gs.fetches.count("sub.git"); r != 2*r1 || s != 2*s1 {
		t.Errorf("after a new submodule commit: repo.git %d, sub.git %d fetch requests in all, want %d and %d (one more fetch each)", r, s, 2*r1, 2*s1)
	}
}

// TestGitSubmoduleCredentialsStayOutOfCache: a submodule URL holding a
// token fetches the private repository, and the token is in no file of the
// git cache (configs, FETCH_HEAD, anything).
func TestGitSubmoduleCredentialsStayOutOfCache(t *testing.T) {
	gs := startGitServer(t)
	withToken := strings.Replace(gs.url, "://", "://x-access-token:"+gitToken+"@", 1) + "/private.git"
	gitSh(t, gs, "work", `git checkout -qb withprivate master
git -c protocol.file.allow=always submodule add -q `+withToken+` priv
git commit -qm withprivate
git push -q ../repo.git withprivate
git checkout -q master`)
	cache := t.TempDir()
	res, err := buildGit(t, gs, cache, "FROM scratch\nADD {{GIT}}/repo.git#withprivate /p\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := imageFile(t, res.Image, "p/priv/foo"); got != "latest\n" {
		t.Errorf("p/priv/foo = %q", got)
	}
	if n := gs.fetches.count("private.git"); n == 0 {
		t.Errorf("private.git was not fetched")
	}
	basic := base64.StdEncoding.EncodeToString([]byte("x-access-token:" + gitToken))
	files := 0
	err = filepath.Walk(filepath.Join(cache, gitCacheDir), func(p string, fi os.FileInfo, err error) error {
		if err != nil || !fi.Mode().IsRegular() {
			return err
		}
		files++
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.Contains(string(data), gitToken) || strings.Contains(string(data), basic) {
			t.Errorf("the git cache file %s holds the token", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	configs, _ := filepath.Glob(filepath.Join(cache, gitCacheDir, "*", "config"))
	if files == 0 || len(configs) < 2 {
		t.Fatalf("the git cache holds %d files, %d configs: the submodule was not cached", files, len(configs))
	}
}
