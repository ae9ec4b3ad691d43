package version

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestCommitTime(t *testing.T) {
	ctx := context.Background()
	if _, err := CommitTime(ctx, t.TempDir()); !errors.Is(err, ErrNotGit) {
		t.Errorf("plain directory: err = %v, want ErrNotGit", err)
	}
	r := newRepo(t) // tick 1
	if _, err := CommitTime(ctx, r.dir); !errors.Is(err, ErrNoCommits) {
		t.Errorf("empty repository: err = %v, want ErrNoCommits", err)
	}
	r.commit("feat: first") // committed at tick 2
	got, err := CommitTime(ctx, r.dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Unix(1700000000+2*60, 0); !got.Equal(want) {
		t.Errorf("CommitTime = %v, want %v", got, want)
	}
}

func TestCreateTag(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	first := r.commit("feat: one")
	second := r.commit("fix: two")
	if err := CreateTag(ctx, r.dir, "v1.0.0", first, "release 1.0.0"); err != nil {
		t.Fatal(err)
	}
	if got := r.git("rev-parse", "v1.0.0^{commit}"); got != first {
		t.Errorf("v1.0.0 names %s, want %s", got, first)
	}
	if err := CreateTag(ctx, r.dir, "v1.0.0", first, "again"); err != nil {
		t.Errorf("re-creating the same tag: %v", err)
	}
	if err := CreateTag(ctx, r.dir, "v1.0.0", second, "moved"); !errors.Is(err, ErrTagExists) {
		t.Errorf("moving a tag: err = %v, want ErrTagExists", err)
	}
}
