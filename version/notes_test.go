package version

import (
	"context"
	"testing"
)

func TestNotes(t *testing.T) {
	r := newRepo(t)
	r.commit("feat: first")
	r.tag("v1.0.0")
	fix := r.commit("fix(sign): keyless on GHES")
	r.commit("chore: bump deps")
	feat := r.commit("feat: stevedore plan --notes")
	brk := r.commit("refactor(cli)!: version prints build info")
	r.commit("Merge branch 'x'")
	perf := r.commit("perf: cache SBOMs per layer")
	rel, err := Plan(context.Background(), r.dir)
	if err != nil {
		t.Fatal(err)
	}
	got := Notes(rel, "2026-12-02")
	want := "## v2.0.0 (2026-12-02)\n" +
		"\n### Breaking changes\n\n- **cli:** version prints build info (" + brk[:7] + ")\n" +
		"\n### Features\n\n- stevedore plan --notes (" + feat[:7] + ")\n" +
		"\n### Bug fixes\n\n- **sign:** keyless on GHES (" + fix[:7] + ")\n" +
		"\n### Performance\n\n- cache SBOMs per layer (" + perf[:7] + ")\n"
	if got != want {
		t.Errorf("Notes =\n%s\nwant\n%s", got, want)
	}

	// The tagged commit gets the same notes on a re-run (the release
	// workflow runs on the tag), and nothing user-visible says so.
	r.tag("v2.0.0")
	rel, err = Plan(context.Background(), r.dir)
	if err != nil {
		t.Fatal(err)
	}
	if again := Notes(rel, "2026-12-02"); again != want {
		t.Errorf("notes on the tagged commit =\n%s\nwant\n%s", again, want)
	}
	r.commit("docs: readme")
	rel, err = Plan(context.Background(), r.dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := Notes(rel, ""); got != "## Unreleased\n\nNo user-visible changes (no feat, fix, perf or breaking commits).\n" {
		t.Errorf("notes without releasable commits = %q", got)
	}
}
