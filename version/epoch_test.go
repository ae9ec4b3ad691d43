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
