package buildkit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/builder/lint"
)

func findingLines(fs []lint.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s:%d %s: %s", f.File, f.Line, f.Rule, f.Message))
	}
	return out
}

// TestChecksOnDaemon runs build --check's checks on the daemon (its lint
// subrequest) and a build there, and compares both with the checks run in
// this process on the same Dockerfile.
func TestChecksOnDaemon(t *testing.T) {
	a, err := ParseAddress(daemonAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	df := "FROM scratch as base\nARG API_TOKEN\nCOPY hello.txt /\nCMD echo hi\n"
	writeFiles(t, dir, map[string]string{"Dockerfile": df, "hello.txt": "hi\n"})
	dockerfile := filepath.Join(dir, "Dockerfile")
	ctx := context.Background()
	opts := []builder.Option{builder.WithContextDir(dir), builder.WithCacheDir(t.TempDir()),
		builder.WithEpoch(time.Unix(0, 0)), builder.WithDriver(NewDriver(a, nil, nil))}

	onDaemon, err := builder.Check(ctx, opts...)
	if err != nil {
		t.Fatal(err)
	}
	here, err := lint.Check(ctx, []byte(df), lint.Options{Filename: dockerfile, Platform: builder.HostPlatform()})
	if err != nil {
		t.Fatal(err)
	}
	got, want := findingLines(onDaemon.Findings), findingLines(here.Findings)
	if !slices.Equal(got, want) || len(got) != 3 {
		t.Errorf("the daemon's lint found\n  %q\nthis process's\n  %q", got, want)
	}

	// A build on the daemon reports the same findings, with their lines.
	res, err := builder.Build(ctx, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if built := findingLines(res.Checks); !slices.Equal(built, want) {
		t.Errorf("the daemon's build warned\n  %q\nwant\n  %q", built, want)
	}

	// The daemon reads .dockerignore: CopyIgnoredFile.
	if err := os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte("hello.txt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ignored, err := builder.Check(ctx, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(ignored.Findings, func(f lint.Finding) bool { return f.Rule == "CopyIgnoredFile" && f.Line == 3 }) {
		t.Errorf("no CopyIgnoredFile on line 3: %q", findingLines(ignored.Findings))
	}
	embedded, err := builder.Check(ctx, opts[:len(opts)-1]...)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := findingLines(embedded.Findings), findingLines(ignored.Findings); !slices.Equal(got, want) {
		t.Errorf("embedded checks found\n  %q\nthe daemon's\n  %q", got, want)
	}
}
