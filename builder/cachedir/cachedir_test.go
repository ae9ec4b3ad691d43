package cachedir_test

import (
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/builder/cachedir"
	"github.com/sreevishnu07/stevedore/builder/store"
	"github.com/sreevishnu07/stevedore/internal/filelock"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/internal/testutil"
)

// project is a build context whose Dockerfile builds on a busybox base
// served by a registry, with a cache directory of its own.
type project struct {
	dir, cache, base string
}

const dockerfile = `FROM BASE
COPY a.txt /a.txt
RUN --mount=type=cache,target=/c sh -c 'echo kept > /c/k; echo one > /one'
RUN echo two > /two
`

func newProject(t *testing.T) *project {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: RUN steps need root here (namespaces and overlayfs)")
	}
	p := &project{dir: t.TempDir(), cache: t.TempDir(), base: registrytest.ServeBusybox(t)}
	p.write(t, dockerfile, map[string]string{"a.txt": "a\n"})
	return p
}

func (p *project) write(t *testing.T, df string, files map[string]string) {
	t.Helper()
	testutil.WriteFile(t, filepath.Join(p.dir, "Dockerfile"), strings.ReplaceAll(df, "BASE", p.base))
	testutil.WriteFiles(t, p.dir, files)
	// Files still a while, so the build remembers their sums (context-sums).
	for n := range files {
		at := time.Now().Add(-time.Hour)
		if err := os.Chtimes(filepath.Join(p.dir, n), at, at); err != nil {
			t.Fatal(err)
		}
	}
}

func (p *project) build(t *testing.T) *builder.Result {
	t.Helper()
	res, err := p.tryBuild(context.Background(), p.dir)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (p *project) tryBuild(ctx context.Context, dir string) (*builder.Result, error) {
	return builder.Build(ctx, builder.WithContextDir(dir), builder.WithCacheDir(p.cache), builder.WithEpoch(time.Unix(1700000000, 0)))
}

// statuses is each step's final status, in order.
func statuses(res *builder.Result) []string {
	var out []string
	for _, s := range res.Steps {
		if s.Status != builder.StatusStarted {
			out = append(out, s.Instruction[:strings.IndexByte(s.Instruction+" ", ' ')]+":"+string(s.Status))
		}
	}
	return out
}

// onDisk walks the cache as du would count it by hand: every regular
// file but the cache's own bookkeeping (its layout marker, use lock and
// build leases), each inode once.
func onDisk(t *testing.T, dir string) (total int64, byTop map[string]int64) {
	t.Helper()
	byTop = map[string]int64{}
	seen := map[uint64]bool{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		top := strings.Split(filepath.ToSlash(rel), "/")[0]
		if top == "oci-layout" || top == "use.lock" || top == "leases" || !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if ino := inode(info); ino != 0 {
			if seen[ino] {
				return nil
			}
			seen[ino] = true
		}
		total += info.Size()
		byTop[top] += info.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return total, byTop
}

// files lists every path under dir with its size, to tell that nothing
// changed.
func files(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if info, err := d.Info(); err == nil && !d.IsDir() {
			out[path] = info.Size()
		}
		return nil
	})
	return out
}

func list(t *testing.T, dir string) []cachedir.Entry {
	t.Helper()
	entries, err := cachedir.List(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

func age(t *testing.T, dir string, e cachedir.Entry, d time.Duration) {
	t.Helper()
	at := time.Now().Add(-d)
	if err := os.Chtimes(filepath.Join(dir, filepath.FromSlash(e.Name)), at, at); err != nil {
		t.Fatal(err)
	}
}

func names(entries []cachedir.Entry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Name)
	}
	slices.Sort(out)
	return out
}

func TestDuMatchesTheFilesOnDisk(t *testing.T) {
	p := newProject(t)
	p.build(t)
	testutil.WriteFile(t, filepath.Join(p.cache, "other-tool", "data"), "not stevedore's\n")

	entries := list(t, p.cache)
	total, byTop := onDisk(t, p.cache)
	var sum int64
	for _, s := range cachedir.Summarize(entries) {
		sum += s.Size
		if s.Reclaimable != s.Size {
			t.Errorf("%s: reclaimable %d of %d with no build running", s.Kind, s.Reclaimable, s.Size)
		}
	}
	if sum != total {
		t.Errorf("du total %d bytes, the files on disk %d", sum, total)
	}
	want := map[cachedir.Kind]string{cachedir.Blobs: "blobs", cachedir.Steps: "steps", cachedir.LastInputs: "last",
		cachedir.ContextSums: "sums", cachedir.RunMounts: "mounts", cachedir.Unknown: "other-tool"}
	got := map[cachedir.Kind]cachedir.Summary{}
	for _, s := range cachedir.Summarize(entries) {
		got[s.Kind] = s
	}
	for k, top := range want {
		if got[k].Entries == 0 || got[k].Size != byTop[top] {
			t.Errorf("%s: %d entries, %d bytes; %s/ holds %d bytes", k, got[k].Entries, got[k].Size, top, byTop[top])
		}
	}
	// three layer steps, each a step record and a layer blob
	if got[cachedir.Steps].Entries != 3 {
		t.Errorf("%d step records, want 3 (COPY and two RUN)", got[cachedir.Steps].Entries)
	}
}

func TestPruneUntilRemovesOnlyOldEntries(t *testing.T) {
	p := newProject(t)
	p.build(t)
	entries := list(t, p.cache)
	var old []cachedir.Entry
	for i, e := range entries {
		if i%2 == 0 {
			age(t, p.cache, e, 48*time.Hour)
			old = append(old, e)
		} else {
			age(t, p.cache, e, time.Hour)
		}
	}
	res, err := cachedir.Prune(context.Background(), p.cache, cachedir.PruneOptions{Until: 24 * time.Hour, All: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(res.Removed), names(old); !slices.Equal(got, want) {
		t.Errorf("removed %v, want the entries last used 48h ago: %v", got, want)
	}
	left := list(t, p.cache)
	if got, want := len(left), len(entries)-len(old); got != want {
		t.Errorf("%d entries left, want %d", got, want)
	}
	for _, e := range old {
		if _, err := os.Lstat(filepath.Join(p.cache, e.Name)); err == nil {
			t.Errorf("%s still there", e.Name)
		}
	}
	if trash, _ := filepath.Glob(filepath.Join(p.cache, ".trash-*")); len(trash) != 0 {
		t.Errorf("trash left behind: %v", trash)
	}
}

func TestPruneKeepStorageRemovesLeastRecentlyUsedFirst(t *testing.T) {
	p := newProject(t)
	p.build(t)
	entries := list(t, p.cache)
	// Oldest first in list order; the biggest (the base layer) last used
	// most recently, so it is what stays.
	slices.SortFunc(entries, func(a, b cachedir.Entry) int { return int(a.Size - b.Size) })
	var total int64
	for i, e := range entries {
		age(t, p.cache, e, time.Duration(len(entries)-i)*time.Hour)
		total += e.Size
	}
	keep := entries[len(entries)-1].Size + entries[len(entries)-2].Size
	res, err := cachedir.Prune(context.Background(), p.cache, cachedir.PruneOptions{KeepStorage: keep})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(res.Removed), names(entries[:len(entries)-2]); !slices.Equal(got, want) {
		t.Errorf("removed %v, want all but the two most recently used: %v", got, want)
	}
	if left, _ := onDisk(t, p.cache); left != keep || res.Reclaimed != total-keep {
		t.Errorf("left %d bytes (reclaimed %d), want %d (reclaimed %d)", left, res.Reclaimed, keep, total-keep)
	}
}

func TestPruneDryRunRemovesNothing(t *testing.T) {
	p := newProject(t)
	p.build(t)
	before := files(t, p.cache)
	res, err := cachedir.Prune(context.Background(), p.cache, cachedir.PruneOptions{All: true, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Removed) != len(list(t, p.cache)) || res.Reclaimed == 0 {
		t.Errorf("dry run would remove %d entries (%d bytes), want every one", len(res.Removed), res.Reclaimed)
	}
	after := files(t, p.cache)
	delete(before, filepath.Join(p.cache, "use.lock"))
	delete(after, filepath.Join(p.cache, "use.lock"))
	if len(before) != len(after) {
		t.Fatalf("dry run changed the cache: %d files before, %d after", len(before), len(after))
	}
	for f, n := range before {
		if after[f] != n {
			t.Errorf("%s: %d bytes before, %d after", f, n, after[f])
		}
	}
}

func TestBuildAfterPrune(t *testing.T) {
	p := newProject(t)
	first := p.build(t)
	digest, _ := first.Image.Digest()

	// Everything gone: the next build is cold and makes the same image.
	if _, err := cachedir.Prune(context.Background(), p.cache, cachedir.PruneOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	if left := list(t, p.cache); len(left) != 0 {
		t.Fatalf("after prune --all: %v", names(left))
	}
	cold := p.build(t)
	if got, want := statuses(cold), []string{"COPY:done", "RUN:done", "RUN:done"}; !slices.Equal(got, want) {
		t.Errorf("after prune --all: %v, want %v", got, want)
	}
	if d, _ := cold.Image.Digest(); d != digest {
		t.Errorf("cold rebuild %s, first build %s", d, digest)
	}

	// Only the last step's record and layer old: only it is rebuilt.
	lastLayer := cold.Steps[len(cold.Steps)-1].Layer
	for _, e := range list(t, p.cache) {
		switch e.Kind {
		case cachedir.Blobs:
			if strings.HasSuffix(e.Name, strings.TrimPrefix(lastLayer, "sha256:")) {
				age(t, p.cache, e, 48*time.Hour)
			}
		case cachedir.Steps:
			if b, err := os.ReadFile(filepath.Join(p.cache, e.Name)); err == nil && strings.Contains(string(b), lastLayer) {
				age(t, p.cache, e, 48*time.Hour)
			}
		}
	}
	res, err := cachedir.Prune(context.Background(), p.cache, cachedir.PruneOptions{Until: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Removed) != 2 {
		t.Fatalf("removed %v, want the last step's record and layer", names(res.Removed))
	}
	warm := p.build(t)
	if got, want := statuses(warm), []string{"COPY:cached", "RUN:cached", "RUN:done"}; !slices.Equal(got, want) {
		t.Errorf("after pruning the last step: %v, want %v", got, want)
	}
	if d, _ := warm.Image.Digest(); d != digest {
		t.Errorf("rebuild %s, first build %s", d, digest)
	}
}

// A build that runs while prune does keeps every entry it uses, even ones
// last used long ago; what it does not use goes.
func TestPruneKeepsWhatARunningBuildUses(t *testing.T) {
	p := newProject(t)
	// What the running build will not use: another context's COPY.
	other := t.TempDir()
	testutil.WriteFiles(t, other, map[string]string{"Dockerfile": "FROM " + p.base + "\nCOPY b.txt /b.txt\n", "b.txt": "b\n"})
	otherRes, err := p.tryBuild(context.Background(), other)
	if err != nil {
		t.Fatal(err)
	}
	otherLayer := strings.TrimPrefix(otherRes.Steps[len(otherRes.Steps)-1].Layer, "sha256:")
	wantRemoved, wantKept := map[string]bool{}, map[string]bool{}
	for _, e := range list(t, p.cache) {
		if e.Kind != cachedir.Blobs || strings.HasSuffix(e.Name, otherLayer) {
			wantRemoved[e.Name] = true // the other build's own
		} else {
			wantKept[e.Name] = true // the base image
		}
	}
	p.build(t)
	for _, e := range list(t, p.cache) {
		if !wantRemoved[e.Name] && !wantKept[e.Name] && (e.Kind == cachedir.Steps || e.Kind == cachedir.Blobs || e.Kind == cachedir.RunMounts) {
			wantKept[e.Name] = true // this project's step records, layers, cache mount
		}
	}
	unused := map[string]bool{}
	for _, e := range list(t, p.cache) {
		unused[e.Name] = true
		age(t, p.cache, e, 48*time.Hour)
	}

	// The same project with a last step that waits for the test.
	p.write(t, dockerfile+`RUN --mount=type=cache,target=/c sh -c 'touch /c/started; while [ ! -e /c/go ]; do sleep 0.05; done; echo three > /three'
`, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	var running *builder.Result
	go func() {
		var err error
		running, err = p.tryBuild(ctx, p.dir)
		done <- err
	}()
	var started []string
	for len(started) == 0 {
		select {
		case err := <-done:
			t.Fatalf("the build ended before it was pruned: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		started, _ = filepath.Glob(filepath.Join(p.cache, "mounts", "*", "started"))
	}

	res, err := cachedir.Prune(context.Background(), p.cache, cachedir.PruneOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Kept == 0 {
		t.Error("prune kept nothing for the running build")
	}
	var removed []string
	for _, e := range res.Removed {
		removed = append(removed, e.Name)
	}
	// The running build used the base, the cached steps' records and
	// layers, the context sums and the cache mount; the other context's
	// step record, layer, sums and last inputs are what goes.
	for _, e := range list(t, p.cache) {
		if !e.InUse && e.Kind != cachedir.Work {
			t.Errorf("%s %s left but not in use", e.Kind, e.Name)
		}
		delete(unused, e.Name)
	}
	if len(removed) == 0 || len(removed) != len(unused) {
		t.Errorf("removed %v; entries the running build did not use: %v", removed, unused)
	}
	for n := range wantRemoved {
		if !slices.Contains(removed, n) {
			t.Errorf("%s, which the running build does not use, was kept", n)
		}
	}
	for n := range wantKept {
		if slices.Contains(removed, n) {
			t.Errorf("%s, which the running build uses, was removed", n)
		}
	}
	t.Logf("removed %d entries, kept %d for the running build", len(removed), res.Kept)

	// If prune took the cache mount, the step can never be told to go on.
	if err := os.WriteFile(filepath.Join(filepath.Dir(started[0]), "go"), nil, 0o644); err != nil {
		t.Errorf("the running build's cache mount: %v", err)
		cancel()
	}
	if err := <-done; err != nil {
		t.Fatalf("the build pruned under: %v", err)
	}
	if got, want := statuses(running), []string{"COPY:cached", "RUN:cached", "RUN:cached", "RUN:done"}; !slices.Equal(got, want) {
		t.Errorf("the running build: %v, want %v", got, want)
	}
	// Its layers are all readable after the build.
	readLayers(t, running.Image, "a layer of the pruned-under build")
}

func TestPruneAllOnlyRemovesUnknownDirectories(t *testing.T) {
	p := newProject(t)
	p.build(t)
	testutil.WriteFile(t, filepath.Join(p.cache, "other-tool", "data"), "x\n")
	res, err := cachedir.Prune(context.Background(), p.cache, cachedir.PruneOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Removed {
		if e.Kind == cachedir.Unknown {
			t.Errorf("removed %s without --all", e.Name)
		}
	}
	if left := list(t, p.cache); len(left) != 1 || left[0].Name != "other-tool" {
		t.Errorf("left %v, want only other-tool", names(left))
	}
}

// What an interrupted prune had renamed away is reported as trash and
// removed by the next prune, whatever its filters; a layer-SBOM directory
// is its own kind.
func TestInterruptedPruneLeavesOnlyTrash(t *testing.T) {
	p := newProject(t)
	p.build(t)
	var step cachedir.Entry
	for _, e := range list(t, p.cache) {
		if e.Kind == cachedir.Steps {
			step = e
			break
		}
	}
	// As Prune leaves it when killed between the rename and the delete.
	trash := filepath.Join(p.cache, ".trash-1234")
	if err := os.MkdirAll(trash, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(p.cache, step.Name), filepath.Join(trash, "0-0")); err != nil {
		t.Fatal(err)
	}
	testutil.WriteFile(t, filepath.Join(p.cache, "sbom-layers", "abc", "meta.json"), "{}\n")
	kinds := map[cachedir.Kind]int{}
	for _, e := range list(t, p.cache) {
		kinds[e.Kind]++
	}
	if kinds[cachedir.Trash] != 1 || kinds[cachedir.SBOMLayers] != 1 || kinds[cachedir.Steps] != 2 {
		t.Errorf("kinds %v, want one trash entry, one sbom-layers entry and two step records", kinds)
	}
	res, err := cachedir.Prune(context.Background(), p.cache, cachedir.PruneOptions{Until: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(res.Removed); !slices.Equal(got, []string{".trash-1234"}) {
		t.Errorf("removed %v, want only the trash (nothing else is a day old)", got)
	}
	if _, err := os.Stat(trash); err == nil {
		t.Error("trash still there")
	}
	// The step whose record went is rebuilt; the others are cached.
	res2 := p.build(t)
	done := 0
	for _, s := range statuses(res2) {
		if strings.HasSuffix(s, ":done") {
			done++
		}
	}
	if done != 1 {
		t.Errorf("after losing one step record: %v, want one step rebuilt", statuses(res2))
	}
}

// A git cache entry whose lock a build holds (it is being fetched) is
// kept, as the builder's own lock says, even when old; once let go it is
// removed with its lock file.
func TestPruneHonoursTheGitEntryLock(t *testing.T) {
	cache := t.TempDir()
	if _, err := store.Open(cache); err != nil {
		t.Fatal(err)
	}
	entry := filepath.Join(cache, "git", "0123abcd")
	testutil.WriteFile(t, filepath.Join(entry, "HEAD"), "ref: refs/heads/master\n")
	tmp := entry + ".tmp-42"
	testutil.WriteFile(t, filepath.Join(tmp, "HEAD"), "ref: refs/heads/master\n")
	unlock, err := filelock.Lock(entry + ".lock")
	if err != nil {
		t.Fatal(err)
	}
	long := time.Now().Add(-48 * time.Hour)
	for _, p := range []string{entry, tmp, entry + ".lock"} {
		os.Chtimes(p, long, long)
	}
	got := list(t, cache)
	if len(got) != 2 || got[0].Name != "git/0123abcd" || got[1].Name != "git/0123abcd.tmp-42" {
		t.Fatalf("listed %v, want the entry (with its lock) and the one being filled", names(got))
	}
	res, err := cachedir.Prune(context.Background(), cache, cachedir.PruneOptions{Until: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Removed) != 0 || res.Kept != 2 {
		t.Errorf("removed %v, kept %d; want nothing removed while the lock is held", names(res.Removed), res.Kept)
	}
	unlock()
	res, err = cachedir.Prune(context.Background(), cache, cachedir.PruneOptions{Until: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Removed) != 2 {
		t.Errorf("removed %v once let go, want both", names(res.Removed))
	}
	if left, _ := filepath.Glob(filepath.Join(cache, "git", "*")); len(left) != 0 {
		t.Errorf("left %v", left)
	}
}

// A command holding the cache (build --output, release) keeps the layers
// its build returned through a prune that runs after the build, until it
// has read them.
func TestHeldCacheKeepsABuildsLayersAfterTheBuild(t *testing.T) {
	p := newProject(t)
	release, err := builder.HoldCache(p.cache)
	if err != nil {
		t.Fatal(err)
	}
	res := p.build(t)
	pruned, err := cachedir.Prune(context.Background(), p.cache, cachedir.PruneOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(pruned.Removed) != 0 {
		t.Errorf("removed %v while the command held the cache", names(pruned.Removed))
	}
	readLayers(t, res.Image, "a layer the build returned")
	release()
	pruned, err = cachedir.Prune(context.Background(), p.cache, cachedir.PruneOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(pruned.Removed) == 0 || len(list(t, p.cache)) != 0 {
		t.Errorf("once let go: removed %d entries, %d left", len(pruned.Removed), len(list(t, p.cache)))
	}
}

// readLayers reads every compressed layer of img through, reporting one
// that cannot be read (what names it in the error).
func readLayers(t *testing.T, img v1.Image, what string) {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		rc, err := l.Compressed()
		if err == nil {
			_, err = io.Copy(io.Discard, rc)
			rc.Close()
		}
		if err != nil {
			t.Errorf("reading %s: %v", what, err)
		}
	}
}
