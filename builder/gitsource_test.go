package builder

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/sreevishnu07/stevedore/internal/sshtest"
)

// buildGit builds dockerfile (expanded against gs) from a fresh context.
func buildGit(t *testing.T, gs gitServer, cacheDir, dockerfile string, opts ...Option) (*Result, error) {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"Dockerfile": gs.expand(dockerfile)})
	return Build(context.Background(), append([]Option{WithContextDir(dir), WithCacheDir(cacheDir), WithEpoch(time.Unix(1700000000, 0))}, opts...)...)
}

func imageFile(t *testing.T, img v1.Image, name string) string {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s is not in the image: %v", name, err)
		}
		if cleanTarPath(h.Name) == name {
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return string(data)
		}
	}
}

// TestAddGitCredentialsStayOut: a token given as the GIT_AUTH_TOKEN secret
// fetches a private repository, and appears in no layer, no config, no
// history and no file of the cache; without it the error names the flag.
func TestAddGitCredentialsStayOut(t *testing.T) {
	gs := startGitServer(t)
	secrets := t.TempDir()
	tokenFile := filepath.Join(secrets, "token")
	if err := os.WriteFile(tokenFile, []byte(gitToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	df := "FROM scratch\nADD {{GIT}}/private.git /p\n"
	res, err := buildGit(t, gs, cache, df, WithSecrets(map[string]string{"GIT_AUTH_TOKEN": tokenFile}))
	if err != nil {
		t.Fatalf("building with the token: %v", err)
	}
	if got := imageFile(t, res.Image, "p/foo"); got != "latest\n" {
		t.Errorf("p/foo = %q, want the master branch's", got)
	}
	secretsOf := [][]byte{[]byte(gitToken), []byte(base64.StdEncoding.EncodeToString([]byte("x-access-token:" + gitToken)))}
	raw, err := res.Image.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	rc := mutate.Extract(res.Image)
	flat, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secretsOf {
		if bytes.Contains(raw, s) || bytes.Contains(flat, s) {
			t.Errorf("the credential %q is in the image", s)
		}
	}
	filepath.WalkDir(cache, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		// Layers are compressed: their uncompressed bytes were checked above.
		for _, s := range secretsOf {
			if bytes.Contains(data, s) {
				t.Errorf("the credential %q is in the cache file %s", s, p)
			}
		}
		return nil
	})

	_, err = buildGit(t, gs, t.TempDir(), df)
	if err == nil || !strings.Contains(err.Error(), "--secret id=GIT_AUTH_TOKEN") || !strings.Contains(err.Error(), "Dockerfile:2") {
		t.Errorf("without the token: want an error naming Dockerfile:2 and --secret id=GIT_AUTH_TOKEN, got %v", err)
	}

	wrong := filepath.Join(secrets, "wrong")
	if err := os.WriteFile(wrong, []byte("not-the-token"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = buildGit(t, gs, t.TempDir(), df, WithSecrets(map[string]string{"GIT_AUTH_TOKEN": wrong}))
	if err == nil || !strings.Contains(err.Error(), "refuses the credentials of the GIT_AUTH_TOKEN") || strings.Contains(err.Error(), "not-the-token") {
		t.Errorf("a wrong token: want an error saying the server refuses it, without it, got %v", err)
	}

	_, err = buildGit(t, gs, t.TempDir(), "FROM scratch\nADD http://x-access-token:"+gitToken+"@"+strings.TrimPrefix(gs.url, "http://")+"/private.git /p\n")
	if err == nil || strings.Contains(err.Error(), gitToken) || !strings.Contains(err.Error(), "GIT_AUTH_TOKEN") {
		t.Errorf("a password in the URL: want a refusal pointing to GIT_AUTH_TOKEN without the password, got %v", err)
	}
}

// TestAddGitCacheFollowsTheCommit: the step's cache key is the commit a ref
// resolves to, so the same commit is a hit and a moved branch a miss.
func TestAddGitCacheFollowsTheCommit(t *testing.T) {
	gs := startGitServer(t)
	cache := t.TempDir()
	df := "FROM scratch\nADD {{GIT}}/repo.git#feature /f\n"
	status := func() Status {
		t.Helper()
		res, err := buildGit(t, gs, cache, df)
		if err != nil {
			t.Fatal(err)
		}
		return res.Steps[len(res.Steps)-1].Status
	}
	if s := status(); s != StatusDone {
		t.Fatalf("first build: ADD %s, want built", s)
	}
	if s := status(); s != StatusCached {
		t.Errorf("same commit: ADD %s, want cached", s)
	}
	// Move the branch on the server.
	bare := filepath.Join(gs.root, "repo.git")
	work := t.TempDir()
	for _, args := range [][]string{
		{"clone", "-q", "-b", "feature", bare, work},
		{"-C", work, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "moved"},
		{"-C", work, "push", "-q", "origin", "feature"},
	} {
		if out, err := exec.Command("git", args...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if s := status(); s != StatusDone {
		t.Errorf("moved branch: ADD %s, want built", s)
	}
}

// TestAddGitBadRefs: refs that cannot be resolved fail with the line.
func TestAddGitBadRefs(t *testing.T) {
	gs := startGitServer(t)
	for _, c := range []struct{ df, want string }{
		{"FROM scratch\nADD {{GIT}}/repo.git#nosuchref /f\n", "does not contain ref nosuchref"},
		{"FROM scratch\nADD --checksum={{GIT:v0.0.1}} {{GIT}}/repo.git#latest /f\n", "expected checksum to match"},
		{"FROM scratch\nADD --checksum=xyz {{GIT}}/repo.git /f\n", "expected hex commit hash"},
		{"FROM scratch\nADD {{GIT}}/repo.git?tag=a&branch=b /f\n", "branch conflicts with tag"},
		{"FROM scratch\nADD {{GIT}}/nosuchrepo.git /f\n", "nosuchrepo.git"},
	} {
		_, err := buildGit(t, gs, t.TempDir(), c.df)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "Dockerfile:2") {
			t.Errorf("%q: want an error naming Dockerfile:2 with %q, got %v", c.df, c.want, err)
		}
	}
}

// TestIsGitSource: which ADD sources are git repositories, by BuildKit's
// own rules (frontend/dockerfile/dfgitutil).
func TestIsGitSource(t *testing.T) {
	for src, want := range map[string]bool{
		"https://github.com/moby/buildkit.git":             true,
		"https://github.com/moby/buildkit.git#v0.29.0:doc": true,
		"http://127.0.0.1:8080/repo.git?tag=v1&subdir=a":   true,
		"git@github.com:moby/buildkit.git":                 true,
		"git@github.com:moby/buildkit.git#main:frontend":   true,
		"ssh://git@github.com/moby/buildkit.git":           true,
		"git://github.com/moby/buildkit":                   true,
		"https://github.com/moby/buildkit":                 false, // a download: no .git
		"https://example.com/app.tar.gz":                   false,
		"github.com/moby/buildkit":                         false, // indistinguishable from a path
		"./repo.git":                                       false,
		"repo.git":                                         false,
		"dir/file":                                         false,
	} {
		if got := isGitSource(src); got != want {
			t.Errorf("isGitSource(%q) = %v, want %v", src, got, want)
		}
	}
}

// TestAddGitOverSSH: ssh:// sources fetch with the agent of --ssh default
// (a real sshd on loopback); without it the error names the flag.
func TestAddGitOverSSH(t *testing.T) {
	gs := startGitServer(t)
	sock := sshtest.Agent(t)
	gs.serveSSH(t, sock)
	if gs.ssh == "" {
		t.Skip("skipping: " + gs.sshSkip)
	}
	df := "FROM scratch\nADD {{GITSSH}}/repo.git#feature:sub /s\n"
	res, err := buildGit(t, gs, t.TempDir(), df, WithSSH(map[string]string{"default": sock}))
	if err != nil {
		t.Fatalf("ADD over ssh with the agent: %v", err)
	}
	if got := imageFile(t, res.Image, "s/foo"); got != "subfeature\n" {
		t.Errorf("s/foo = %q, want the feature branch's sub/foo", got)
	}
	// A key file (--ssh default=KEYFILE) that the server accepts.
	key := sshtest.KeyFile(t)
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	gs.authorize(t, pub)
	res, err = buildGit(t, gs, t.TempDir(), df, WithSSHKeys(map[string][]string{"default": {key}}))
	if err != nil {
		t.Fatalf("ADD over ssh with a key file: %v", err)
	}
	if got := imageFile(t, res.Image, "s/foo"); got != "subfeature\n" {
		t.Errorf("with a key file: s/foo = %q, want the feature branch's sub/foo", got)
	}
	_, err = buildGit(t, gs, t.TempDir(), df)
	if err == nil || !strings.Contains(err.Error(), "--ssh default") || !strings.Contains(err.Error(), "Dockerfile:2") {
		t.Errorf("without an agent: want an error naming Dockerfile:2 and --ssh default, got %v", err)
	}
}

// TestAddGitMTimeCommit: ?mtime=commit gives every file the commit's time
// (left alone, as far as SOURCE_DATE_EPOCH allows: the epoch here is later).
func TestAddGitMTimeCommit(t *testing.T) {
	gs := startGitServer(t)
	out, err := exec.Command("git", "--git-dir", filepath.Join(gs.root, "repo.git"), "log", "-1", "--format=%ct", "feature").Output()
	if err != nil {
		t.Fatal(err)
	}
	var want int64
	fmt.Sscan(string(out), &want)
	res, err := buildGit(t, gs, t.TempDir(), "FROM scratch\nADD {{GIT}}/repo.git?branch=feature&mtime=commit /r\n", WithEpoch(time.Now().Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	rc := mutate.Extract(res.Image)
	defer rc.Close()
	tr := tar.NewReader(rc)
	n := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if p := cleanTarPath(h.Name); strings.HasPrefix(p, "r/") {
			n++
			if h.ModTime.Unix() != want {
				t.Errorf("%s has time %v, want the commit's %v", p, h.ModTime.UTC(), time.Unix(want, 0).UTC())
			}
		}
	}
	if n == 0 {
		t.Fatal("nothing under /r")
	}
}
