package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/internal/testutil"
	"github.com/sreevishnu07/stevedore/ledger"
)

var writeFiles = testutil.WriteFiles

// A build context with uncommitted or untracked files is refused in the
// plan step, naming them; files outside every context, and files its
// .dockerignore leaves out, do not count. --allow-dirty releases it marked.
func TestReleaseRefusesDirtyContext(t *testing.T) {
	dir := repo(t)
	writeFiles(t, dir, map[string]string{"app/.dockerignore": "*.log\n"})
	gitIn(t, dir, "add", ".")
	gitIn(t, dir, "commit", "-q", "-m", "fix: ignore logs")
	writeFiles(t, dir, map[string]string{
		"app/extra.txt":  "not committed\n", // untracked, in app's context
		"worker/job.txt": "changed\n",       // modified, in worker's context
		"NOTES.md":       "outside every context\n",
		"app/debug.log":  "ignored by app/.dockerignore\n",
	})
	signer, _ := testSigner(t)
	cfg := config(t, "oci:dist/IMAGE")

	_, err := Release(context.Background(), cfg, releaseOpts(t, dir, signer)...)
	var se *StepError
	if !errors.Is(err, ErrDirty) || !errors.As(err, &se) || se.Step != StepPlan {
		t.Fatalf("err = %v, want ErrDirty in the plan step", err)
	}
	for _, want := range []string{"app/extra.txt", "worker/job.txt differ from commit", "--allow-dirty", "allow-dirty: true"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	for _, not := range []string{"NOTES.md", "debug.log"} {
		if strings.Contains(err.Error(), not) {
			t.Errorf("error names %s, which goes into no image: %v", not, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "dist")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused release wrote dist/: %v", err)
	}

	rep, err := Release(context.Background(), cfg, releaseOpts(t, dir, signer, WithAllowDirty(true))...)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Plan.Dirty || !rep.Ledger.Dirty || !strings.Contains(strings.Join(rep.Plan.Notes, "\n"), "app/extra.txt") {
		t.Errorf("plan dirty %v, ledger dirty %v, notes %q", rep.Plan.Dirty, rep.Ledger.Dirty, rep.Plan.Notes)
	}
	written, err := ledger.Read(filepath.Join(dir, "dist/release.json"))
	if err != nil || !written.Dirty {
		t.Errorf("ledger on disk: %+v, %v", written, err)
	}
	// allow-dirty: true in stevedore.yaml does the same.
	cfg.AllowDirty = true
	if _, err := Release(context.Background(), cfg, releaseOpts(t, dir, signer)...); err != nil {
		t.Errorf("allow-dirty: true: %v", err)
	}
}

// What a release writes into its own build context (the ledger's dist/,
// layouts, the build cache) never makes the next release dirty.
func TestReleaseOutputsAreNotDirt(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"Dockerfile": "FROM scratch\nCOPY hello.txt /\n", "hello.txt": "hi\n"})
	gitIn(t, dir, "init", "-q", "-b", "main")
	gitIn(t, dir, "add", ".")
	gitIn(t, dir, "commit", "-q", "-m", "feat: first")
	cfg, err := Parse([]byte("images:\n  - name: app\n    destinations: [oci:out/app]\n"), "stevedore.yaml", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := testSigner(t)
	for i := range 2 {
		rep, err := Release(context.Background(), cfg, releaseOpts(t, dir, signer)...)
		if err != nil {
			t.Fatalf("release %d: %v", i+1, err)
		}
		if rep.Plan.Dirty {
			t.Errorf("release %d is marked dirty", i+1)
		}
	}
}

// One changed file "differs"; several "differ".
func TestReleaseRefusesOneDirtyFile(t *testing.T) {
	dir := repo(t)
	writeFiles(t, dir, map[string]string{"worker/job.txt": "changed\n"})
	signer, _ := testSigner(t)
	_, err := Release(context.Background(), config(t, "oci:dist/IMAGE"), releaseOpts(t, dir, signer)...)
	if !errors.Is(err, ErrDirty) {
		t.Fatalf("err = %v, want ErrDirty", err)
	}
	if want := "worker/job.txt differs from commit"; !strings.Contains(err.Error(), want) {
		t.Errorf("error lacks %q: %v", want, err)
	}
}
