package buildkit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/event"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

type buildFunc func(context.Context, ...builder.Option) (*builder.Result, error)

// TestSameStepEventsOnBothBuilders builds one Dockerfile twice with the
// embedded builder and twice on a BuildKit daemon: both emit the same step
// events (platform, stage, file, line, instruction as written), so
// progress reads the same whichever builder ran. The second builds, from
// each builder's cache, match status for status; in the first (--no-cache)
// BuildKit may still reuse a step it holds (WORKDIR on a base it has), so
// there only which steps finished is compared. Times, cache reasons and
// layer digests are the builders' own.
func TestSameStepEventsOnBothBuilders(t *testing.T) {
	addr := daemonAddr(t)
	a, err := ParseAddress(addr)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFiles(t, dir, multiStage)
	secret := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(secret, []byte("s3cret-token"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := registrytest.BusyboxImage(t)
	greeting := fmt.Sprintf("hello-%d", time.Now().UnixNano()) // nothing from the daemon's cache
	opts := []builder.Option{
		builder.WithContextDir(dir),
		builder.WithBuildArgs(map[string]string{"GREETING": greeting}),
		builder.WithNamedContext("base", builder.NamedContext{Image: base}),
		builder.WithSecrets(map[string]string{"token": secret}),
		builder.WithEpoch(time.Unix(1700000000, 0)),
	}
	twice := func(build buildFunc) (first, again []string) {
		t.Helper()
		cache := t.TempDir()
		return stepEvents(t, build, append(opts, builder.WithCacheDir(cache), builder.WithNoCache(true))),
			stepEvents(t, build, append(opts, builder.WithCacheDir(cache)))
	}
	emb, embAgain := twice(builder.Build)
	bk, bkAgain := twice(func(ctx context.Context, opts ...builder.Option) (*builder.Result, error) {
		return Build(ctx, a, nil, opts...)
	})
	if len(emb) == 0 {
		t.Fatal("the embedded builder emitted no step events")
	}
	if !slices.Equal(finished(emb), finished(bk)) {
		t.Errorf("built steps differ:\nembedded:\n  %s\nbuildkit:\n  %s", strings.Join(emb, "\n  "), strings.Join(bk, "\n  "))
	}
	if !slices.Equal(embAgain, bkAgain) {
		t.Errorf("step events from the cache differ:\nembedded:\n  %s\nbuildkit:\n  %s", strings.Join(embAgain, "\n  "), strings.Join(bkAgain, "\n  "))
	}
	t.Logf("both builders:\n  %s", strings.Join(embAgain, "\n  "))
}

// stepEvents builds and lists the step events, sorted: stages build in
// parallel on both builders, so their order is not compared.
func stepEvents(t *testing.T, build buildFunc, opts []builder.Option) []string {
	t.Helper()
	rec := &event.Recorder{}
	if _, err := build(context.Background(), append(opts, builder.WithPlatforms(v1.Platform{OS: "linux", Architecture: "amd64"}), builder.WithProgress(rec))...); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range rec.Steps() {
		out = append(out, fmt.Sprintf("%s %s %s:%d %q %s", s.Platform, s.Stage, s.File, s.Line, s.Instruction, s.Status))
	}
	slices.Sort(out)
	return out
}

// finished keeps the steps that finished, built or cached alike.
func finished(events []string) []string {
	var out []string
	for _, e := range events {
		if !strings.HasSuffix(e, " started") {
			out = append(out, strings.TrimSuffix(strings.TrimSuffix(e, " done"), " cached"))
		}
	}
	return out
}
