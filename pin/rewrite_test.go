package pin

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sreevishnu07/stevedore/internal/atomicfile"
)

// TestPinGolden pins the realistic tree in testdata/src and compares every
// file byte for byte with testdata/golden (go test -update rewrites them).
func TestPinGolden(t *testing.T) {
	dir := copyTree(t, "testdata/src")
	res, err := Pin(context.Background(), []string{dir}, &hashResolver{})
	if err != nil {
		t.Fatalf("Pin: %v", err)
	}
	if len(res.Changes) == 0 {
		t.Fatal("no changes")
	}
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		got := readFile(t, p)
		golden := filepath.Join("testdata/golden", rel)
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				return err
			}
			return os.WriteFile(golden, []byte(got), 0o644)
		}
		want := readFile(t, golden)
		if got != want {
			t.Errorf("%s differs from %s:\n%s", rel, golden, diffLines(want, got))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Pinning again changes nothing: every reference now has a digest.
	again, err := Pin(context.Background(), []string{dir}, &hashResolver{})
	if err != nil {
		t.Fatalf("second Pin: %v", err)
	}
	if len(again.Changes) != 0 || len(again.Files) != 0 {
		t.Errorf("second Pin changed %d references in %v", len(again.Changes), again.Files)
	}
	fs, err := Check(context.Background(), []string{dir})
	if err != nil || len(fs) != 0 {
		t.Errorf("Check after Pin = %v, %v; want no findings", fs, err)
	}
}

// TestPinOnlyReferencesChange checks the golden outputs differ from their
// inputs only inside the rewritten references: removing every inserted
// "@sha256:…" (and inserted digest entries) gives back the input.
func TestPinOnlyReferencesChange(t *testing.T) {
	dir := copyTree(t, "testdata/src")
	res, err := Pin(context.Background(), []string{dir}, &hashResolver{})
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range res.Files {
		rel, _ := filepath.Rel(dir, file)
		in, out := readFile(t, filepath.Join("testdata/src", rel)), readFile(t, file)
		for _, c := range res.Changes {
			if c.Ref.File != file {
				continue
			}
			if c.Ref.site.whole {
				out = strings.Replace(out, rewritten(c.Ref.Text, c.Ref.Tag, c.Digest), c.Ref.Text, 1)
			} else {
				out = strings.Replace(out, c.Ref.site.prefix+c.Digest.String()+c.Ref.site.suffix, "", 1)
			}
		}
		if out != in {
			t.Errorf("%s: outside the references the output differs:\n%s", rel, diffLines(in, out))
		}
	}
}

func TestPinCRLFAndAnchors(t *testing.T) {
	dir := t.TempDir()
	src := strings.ReplaceAll(`apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: a
    image: &img nginx:1.27 # anchored
  - name: b
    image: *img
  - {name: c, image: 'redis:7'}
`, "\n", "\r\n")
	p := writeFile(t, dir, "pod.yaml", src)
	vals := strings.ReplaceAll("image:\n  repository: acme/app\n  tag: v1 # release\nother: 1\n", "\n", "\r\n")
	pv := writeFile(t, dir, "values.yaml", vals)
	res, err := Pin(context.Background(), []string{p, pv}, &hashResolver{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Changes) != 3 {
		t.Fatalf("changes = %d, want 3 (the alias is not a second reference)", len(res.Changes))
	}
	nginx, redis := fakeDigest("index.docker.io/library/nginx:1.27"), fakeDigest("index.docker.io/library/redis:7")
	want := strings.ReplaceAll(src, "nginx:1.27", "nginx:1.27@"+nginx.String())
	want = strings.ReplaceAll(want, "redis:7", "redis:7@"+redis.String())
	if got := readFile(t, p); got != want {
		t.Errorf("pod.yaml:\n%s", diffLines(want, got))
	}
	app := fakeDigest("index.docker.io/acme/app:v1")
	wantV := strings.ReplaceAll("image:\n  repository: acme/app\n  tag: v1 # release\n  digest: "+app.String()+"\nother: 1\n", "\n", "\r\n")
	if got := readFile(t, pv); got != wantV {
		t.Errorf("values.yaml:\n%s", diffLines(wantV, got))
	}
}

func TestPinResolveFailureWritesNothing(t *testing.T) {
	dir := copyTree(t, "testdata/src")
	before := readFile(t, filepath.Join(dir, "deploy/deployment.yaml"))
	_, err := Pin(context.Background(), []string{dir}, failingResolver{})
	if err == nil || !strings.Contains(err.Error(), "deployment.yaml:") {
		t.Fatalf("err = %v, want a resolve error naming the file and line", err)
	}
	if got := readFile(t, filepath.Join(dir, "deploy/deployment.yaml")); got != before {
		t.Error("file changed although resolving failed")
	}
}

// A directory the process cannot write to: the temporary file cannot be
// created, the original stays as it was.
func TestPinReadOnlyDirKeepsOriginal(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "pod.yaml", "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: nginx:1.27\n")
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	if f, err := os.CreateTemp(dir, "probe"); err == nil {
		f.Close()
		os.Remove(f.Name())
		t.Skipf("directory still writable (running as root on %s); TestPinRenameFailureKeepsOriginal covers this", runtime.GOOS)
	}
	_, err := Pin(context.Background(), []string{p}, &hashResolver{})
	if err == nil || !strings.Contains(err.Error(), "writing "+p) {
		t.Fatalf("err = %v, want writing error", err)
	}
	if got := readFile(t, p); !strings.HasSuffix(got, "image: nginx:1.27\n") {
		t.Errorf("original changed: %q", got)
	}
}

func TestPinRenameFailureKeepsOriginal(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "pod.yaml", "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: nginx:1.27\n")
	commitFile = func(f *atomicfile.File) error { f.Abort(); return errors.New("injected commit failure") }
	t.Cleanup(func() { commitFile = (*atomicfile.File).Commit })
	_, err := Pin(context.Background(), []string{p}, &hashResolver{})
	if err == nil || !strings.Contains(err.Error(), "injected") {
		t.Fatalf("err = %v", err)
	}
	if got := readFile(t, p); !strings.HasSuffix(got, "image: nginx:1.27\n") {
		t.Errorf("original changed: %q", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary file left behind: %v", entries)
	}
}

func TestPinDryRun(t *testing.T) {
	dir := copyTree(t, "testdata/src")
	before := readFile(t, filepath.Join(dir, "Dockerfile"))
	res, err := Pin(context.Background(), []string{dir}, &hashResolver{}, WithDryRun())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) == 0 || readFile(t, filepath.Join(dir, "Dockerfile")) != before {
		t.Errorf("dry run: files %v, Dockerfile changed: %v", res.Files, readFile(t, filepath.Join(dir, "Dockerfile")) != before)
	}
}

// diffLines shows the first differing lines, enough to read a failure.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + itoa(i+1) + "\n  want: " + wl + "\n  got:  " + gl + "\n")
		}
	}
	return b.String()
}

func itoa(i int) string { return strconv.Itoa(i) }

// A pin --write killed mid-write left ".pod.yaml.tmp-N" in the user's tree:
// the next write of pod.yaml removes it, and leaves other files alone.
func TestPinSweepsAKilledWritesTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "pod.yaml", "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: nginx:1.27\n")
	stale := writeFile(t, dir, ".pod.yaml.tmp-4242", "apiVersion: v1\nkind: Po")
	other := writeFile(t, dir, ".svc.yaml.tmp-4242", "user's")
	old := time.Now().Add(-time.Hour)
	for _, f := range []string{stale, other} {
		if err := os.Chtimes(f, old, old); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Pin(context.Background(), []string{p}, &hashResolver{}); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, p); !strings.Contains(got, "@sha256:") {
		t.Errorf("pod.yaml not pinned: %q", got)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temporary file kept: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another file's temporary was removed: %v", err)
	}
}
