package version

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"testing"
)

// fastImportRepo builds a repository with n commits and a tag every
// tagEvery commits in one `git fast-import` run, far faster than n commits.
func fastImportRepo(b *testing.B, n, tagEvery int) string {
	b.Helper()
	r := newRepo(b)
	var s bytes.Buffer
	types := []string{"feat", "fix", "chore", "docs", "perf"}
	tags := 0
	for i := 1; i <= n; i++ {
		msg := fmt.Sprintf("%s(part%d): change number %d\n\nSome body text.\n", types[i%len(types)], i%7, i)
		fmt.Fprintf(&s, "commit refs/heads/main\nmark :%d\ncommitter Test <test@example.com> %d +0000\ndata %d\n%s", i, 1700000000+i*60, len(msg), msg)
		if i > 1 {
			fmt.Fprintf(&s, "from :%d\n", i-1)
		}
		s.WriteString("\n")
		if i%tagEvery == 0 && i <= n-5 {
			tags++
			fmt.Fprintf(&s, "reset refs/tags/v1.%d.0\nfrom :%d\n\n", tags, i)
		}
	}
	cmd := exec.Command("git", "-C", r.dir, "fast-import", "--quiet")
	cmd.Env = gitEnv(0)
	cmd.Stdin = &s
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("fast-import: %v\n%s", err, out)
	}
	r.git("checkout", "-q", "-f", "main")
	return r.dir
}

func BenchmarkPlan(b *testing.B) {
	dir := fastImportRepo(b, 1000, 10)
	ctx := context.Background()
	rel, err := Plan(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	if rel.Current != "1.99.0" || rel.Version != "1.100.0" {
		b.Fatalf("unexpected plan %s -> %s", rel.Current, rel.Version)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Plan(ctx, dir); err != nil {
			b.Fatal(err)
		}
	}
}
