package version

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// want is the subset of Release a case asserts. In Tags, "SHA" stands for
// "sha-" plus HEAD's short sha.
type want struct {
	current, version, gitTag, bump   string
	pre, releasable, tagged, highest bool
	tags                             []string
}

func checkRelease(t *testing.T, r *repo, got *Release, w want) {
	t.Helper()
	head := r.head()
	if got.Commit != head {
		t.Errorf("Commit = %s, want HEAD %s", got.Commit, head)
	}
	if got.Current != w.current || got.Version != w.version || got.GitTag != w.gitTag || got.Bump != w.bump {
		t.Errorf("current/version/git_tag/bump = %q %q %q %q, want %q %q %q %q",
			got.Current, got.Version, got.GitTag, got.Bump, w.current, w.version, w.gitTag, w.bump)
	}
	if got.Prerelease != w.pre || got.Releasable != w.releasable || got.Tagged != w.tagged || got.Highest != w.highest {
		t.Errorf("prerelease/releasable/tagged/highest = %v %v %v %v, want %v %v %v %v",
			got.Prerelease, got.Releasable, got.Tagged, got.Highest, w.pre, w.releasable, w.tagged, w.highest)
	}
	var tags []string
	for _, tg := range w.tags {
		tags = append(tags, strings.ReplaceAll(tg, "SHA", "sha-"+head[:7]))
	}
	if strings.Join(got.Tags, " ") != strings.Join(tags, " ") {
		t.Errorf("Tags = %v, want %v", got.Tags, tags)
	}
}

func TestPlan(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		setup func(r *repo)
		opts  []Option
		want  want
		check func(t *testing.T, r *repo, rel *Release)
	}{
		{
			name: "first release without tags",
			setup: func(r *repo) {
				r.commit("chore: init")
				r.commit("feat: first feature")
			},
			want: want{version: "0.1.0", gitTag: "v0.1.0", bump: "minor", releasable: true, highest: true,
				tags: []string{"0.1.0", "0.1", "SHA", "latest"}},
			check: func(t *testing.T, r *repo, rel *Release) {
				if len(rel.Notes) != 1 || !strings.Contains(rel.Notes[0], "git fetch --tags") || !strings.Contains(rel.Notes[0], "prefix v") {
					t.Errorf("Notes = %q", rel.Notes)
				}
				if len(rel.Commits) != 2 || rel.Commits[0].Type != "feat" || rel.Commits[0].Bump != "minor" || rel.Commits[1].Bump != "none" {
					t.Errorf("Commits = %+v", rel.Commits)
				}
			},
		},
		{
			name:  "fix bumps patch",
			setup: func(r *repo) { r.commit("feat: a"); r.tag("v1.0.0"); r.commit("fix(api): b") },
			want: want{current: "1.0.0", version: "1.0.1", gitTag: "v1.0.1", bump: "patch", releasable: true, highest: true,
				tags: []string{"1.0.1", "1.0", "1", "SHA", "latest"}},
		},
		{
			name: "perf bumps patch, feat wins with minor",
			setup: func(r *repo) {
				r.commit("feat: a")
				r.tag("v1.0.0")
				r.commit("perf: b")
				r.commit("feat(ui): c")
				r.commit("docs: d")
			},
			want: want{current: "1.0.0", version: "1.1.0", gitTag: "v1.1.0", bump: "minor", releasable: true, highest: true,
				tags: []string{"1.1.0", "1.1", "1", "SHA", "latest"}},
		},
		{
			name:  "bang bumps major",
			setup: func(r *repo) { r.commit("feat: a"); r.tag("v1.4.2"); r.commit("refactor(core)!: drop v1 API") },
			want: want{current: "1.4.2", version: "2.0.0", gitTag: "v2.0.0", bump: "major", releasable: true, highest: true,
				tags: []string{"2.0.0", "2.0", "2", "SHA", "latest"}},
		},
		{
			name: "BREAKING CHANGE footer bumps major",
			setup: func(r *repo) {
				r.commit("feat: a")
				r.tag("v1.0.0")
				r.commit("fix: b\n\nexplain\n\nBREAKING CHANGE: config renamed")
			},
			want: want{current: "1.0.0", version: "2.0.0", gitTag: "v2.0.0", bump: "major", releasable: true, highest: true,
				tags: []string{"2.0.0", "2.0", "2", "SHA", "latest"}},
		},
		{
			name:  "BREAKING-CHANGE footer bumps major",
			setup: func(r *repo) { r.commit("feat: a"); r.tag("v1.0.0"); r.commit("chore: b\n\nBREAKING-CHANGE: gone") },
			want: want{current: "1.0.0", version: "2.0.0", gitTag: "v2.0.0", bump: "major", releasable: true, highest: true,
				tags: []string{"2.0.0", "2.0", "2", "SHA", "latest"}},
		},
		{
			name: "no releasable commits",
			setup: func(r *repo) {
				r.commit("feat: a")
				r.tag("v1.0.0")
				r.commit("docs: readme")
				r.commit("Update things")
			},
			want: want{current: "1.0.0", version: "1.0.0", gitTag: "v1.0.0", bump: "none", tags: []string{"SHA"}},
			check: func(t *testing.T, r *repo, rel *Release) {
				if len(rel.Commits) != 2 {
					t.Errorf("Commits = %+v", rel.Commits)
				}
			},
		},
		{
			name:  "bump override without releasable commits",
			setup: func(r *repo) { r.commit("feat: a"); r.tag("v1.0.0"); r.commit("docs: readme") },
			opts:  []Option{WithBump("patch")},
			want: want{current: "1.0.0", version: "1.0.1", gitTag: "v1.0.1", bump: "patch", releasable: true, highest: true,
				tags: []string{"1.0.1", "1.0", "1", "SHA", "latest"}},
		},
		{
			name:  "bump override beats commits",
			setup: func(r *repo) { r.commit("feat: a"); r.tag("v1.0.0"); r.commit("fix: b") },
			opts:  []Option{WithBump("major")},
			want: want{current: "1.0.0", version: "2.0.0", gitTag: "v2.0.0", bump: "major", releasable: true, highest: true,
				tags: []string{"2.0.0", "2.0", "2", "SHA", "latest"}},
		},
		{
			name:  "HEAD already tagged: re-run is stable",
			setup: func(r *repo) { r.commit("feat: a"); r.tag("v1.0.0"); r.commit("feat: b"); r.atag("v1.1.0") },
			want: want{current: "1.1.0", version: "1.1.0", gitTag: "v1.1.0", bump: "minor", releasable: true, tagged: true, highest: true,
				tags: []string{"1.1.0", "1.1", "1", "SHA", "latest"}},
		},
		{
			name:  "HEAD tagged ignores bump override",
			setup: func(r *repo) { r.commit("feat: a"); r.tag("v1.0.0") },
			opts:  []Option{WithBump("major")},
			want: want{current: "1.0.0", version: "1.0.0", gitTag: "v1.0.0", bump: "major", releasable: true, tagged: true, highest: true,
				tags: []string{"1.0.0", "1.0", "1", "SHA", "latest"}},
			check: func(t *testing.T, r *repo, rel *Release) {
				if len(rel.Notes) != 1 || !strings.Contains(rel.Notes[0], "ignored") {
					t.Errorf("Notes = %q", rel.Notes)
				}
			},
		},
		{
			name: "several tags on one commit: highest wins",
			setup: func(r *repo) {
				r.commit("feat: a")
				r.tag("v1.0.0", "v1.2.0", "v1.1.0")
				r.atag("v1.2.0-rc.1")
				r.commit("fix: b")
			},
			want: want{current: "1.2.0", version: "1.2.1", gitTag: "v1.2.1", bump: "patch", releasable: true, highest: true,
				tags: []string{"1.2.1", "1.2", "1", "SHA", "latest"}},
		},
		{
			name: "build metadata tie: plain tag wins, deterministically",
			setup: func(r *repo) {
				r.commit("feat: a")
				r.tag("v1.0.0")
				r.commit("feat: b")
				r.tag("v1.1.0+zeta", "v1.1.0", "v1.1.0+alpha")
			},
			want: want{current: "1.1.0", version: "1.1.0", gitTag: "v1.1.0", bump: "minor", releasable: true, tagged: true, highest: true,
				tags: []string{"1.1.0", "1.1", "1", "SHA", "latest"}},
		},
		{
			name: "build metadata tie without plain tag: lowest name",
			setup: func(r *repo) {
				r.commit("feat: a")
				r.tag("v1.1.0+zeta", "v1.1.0+alpha")
			},
			want: want{current: "1.1.0+alpha", version: "1.1.0+alpha", gitTag: "v1.1.0+alpha", bump: "major", releasable: true, tagged: true, highest: true,
				tags: []string{"1.1.0-alpha", "1.1", "1", "SHA", "latest"}},
		},
		{
			name: "merged feature branch (--no-ff)",
			setup: func(r *repo) {
				r.commit("fix: a")
				r.tag("v1.0.0")
				r.git("checkout", "-q", "-b", "feature/login")
				r.commit("feat(auth): login")
				r.git("checkout", "-q", "main")
				r.commit("docs: main side")
				r.git("merge", "-q", "--no-ff", "-m", "Merge branch 'feature/login'", "feature/login")
			},
			want: want{current: "1.0.0", version: "1.1.0", gitTag: "v1.1.0", bump: "minor", releasable: true, highest: true,
				tags: []string{"1.1.0", "1.1", "1", "SHA", "latest"}},
			check: func(t *testing.T, r *repo, rel *Release) {
				if len(rel.Commits) != 3 || rel.Commits[0].Subject != "Merge branch 'feature/login'" || rel.Commits[0].Type != "" {
					t.Errorf("Commits = %+v", rel.Commits)
				}
			},
		},
		{
			name: "tag on an unmerged branch does not count as current",
			setup: func(r *repo) {
				r.commit("feat: a")
				r.tag("v1.0.0")
				r.git("checkout", "-q", "-b", "next")
				r.commit("feat: b")
				r.tag("v1.5.0")
				r.git("checkout", "-q", "main")
				r.commit("fix: c")
			},
			// 1.5.0 exists: 1.0.1 is highest of the 1.0 line only.
			want: want{current: "1.0.0", version: "1.0.1", gitTag: "v1.0.1", bump: "patch", releasable: true,
				tags: []string{"1.0.1", "1.0", "SHA"}},
		},
		{
			name: "collision with a tag on another commit",
			setup: func(r *repo) {
				r.commit("feat: a")
				r.tag("v1.0.0")
				r.git("checkout", "-q", "-b", "other")
				r.commit("feat: b")
				r.tag("v1.1.0")
				r.git("checkout", "-q", "main")
				r.commit("feat: c")
			},
			check: func(t *testing.T, r *repo, rel *Release) {
				t.Fatal("collision must fail")
			},
		},
		{
			name:  "prerelease rc.1",
			setup: func(r *repo) { r.commit("feat: a"); r.tag("v1.2.0"); r.commit("feat: b") },
			opts:  []Option{WithPrerelease("rc")},
			want: want{current: "1.2.0", version: "1.3.0-rc.1", gitTag: "v1.3.0-rc.1", bump: "minor", pre: true, releasable: true,
				tags: []string{"1.3.0-rc.1", "SHA"}},
		},
		{
			name: "prerelease rc.2 after rc.1",
			setup: func(r *repo) {
				r.commit("feat: a")
				r.tag("v1.2.0")
				r.commit("feat: b")
				r.tag("v1.3.0-rc.1", "v1.3.0-beta.7")
				r.commit("fix: c")
			},
			opts: []Option{WithPrerelease("rc")},
			want: want{current: "1.3.0-rc.1", version: "1.3.0-rc.2", gitTag: "v1.3.0-rc.2", bump: "minor", pre: true, releasable: true,
				tags: []string{"1.3.0-rc.2", "SHA"}},
		},
		{
			name: "prerelease numbering counts unreachable tags",
			setup: func(r *repo) {
				r.commit("feat: a")
				r.tag("v1.2.0")
				r.git("checkout", "-q", "-b", "elsewhere")
				r.commit("feat: x")
				r.tag("v1.3.0-rc.4")
				r.git("checkout", "-q", "main")
				r.commit("feat: b")
			},
			opts: []Option{WithPrerelease("rc")},
			want: want{current: "1.2.0", version: "1.3.0-rc.5", gitTag: "v1.3.0-rc.5", bump: "minor", pre: true, releasable: true,
				tags: []string{"1.3.0-rc.5", "SHA"}},
		},
		{
			name: "prerelease re-run on tagged HEAD",
			setup: func(r *repo) {
				r.commit("feat: a")
				r.tag("v1.2.0")
				r.commit("feat: b")
				r.tag("v1.3.0-rc.1")
			},
			opts: []Option{WithPrerelease("rc")},
			want: want{current: "1.3.0-rc.1", version: "1.3.0-rc.1", gitTag: "v1.3.0-rc.1", bump: "minor", pre: true, releasable: true, tagged: true,
				tags: []string{"1.3.0-rc.1", "SHA"}},
		},
		{
			name: "promotion of rc on HEAD",
			setup: func(r *repo) {
				r.commit("feat: a")
				r.tag("v1.2.0")
				r.commit("feat: b")
				r.tag("v1.3.0-rc.1")
				r.commit("fix: c")
				r.tag("v1.3.0-rc.2")
			},
			want: want{current: "1.3.0-rc.2", version: "1.3.0-rc.2", gitTag: "v1.3.0-rc.2", bump: "minor", pre: true, releasable: true, tagged: true,
				tags: []string{"1.3.0-rc.2", "SHA"}},
		},
		{
			name: "rc on HEAD promoted when asked with --bump",
			setup: func(r *repo) {
				r.commit("feat: a")
				r.tag("v1.2.0")
				r.commit("feat: b")
				r.tag("v1.3.0-rc.1")
			},
			opts: []Option{WithBump("minor")},
			want: want{current: "1.3.0-rc.1", version: "1.3.0", gitTag: "v1.3.0", bump: "minor", releasable: true, highest: true,
				tags: []string{"1.3.0", "1.3", "1", "SHA", "latest"}},
		},
		{
			name: "bump matches the version when a later rc is reachable",
			setup: func(r *repo) {
				r.commit("feat: a")
				r.tag("v1.0.0")
				r.commit("feat!: b")
				r.tag("v2.0.0-rc.1")
				r.commit("fix: c")
			},
			opts: []Option{WithBump("patch")},
			want: want{current: "2.0.0-rc.1", version: "2.0.0", gitTag: "v2.0.0", bump: "major", releasable: true, highest: true,
				tags: []string{"2.0.0", "2.0", "2", "SHA", "latest"}},
		},
		{
			name: "promotion of a forced rc without releasable commits",
			setup: func(r *repo) {
				r.commit("feat: a")
				r.tag("v1.2.0")
				r.commit("chore: b")
				r.tag("v2.0.0-rc.1")
			},
			want: want{current: "2.0.0-rc.1", version: "2.0.0-rc.1", gitTag: "v2.0.0-rc.1", bump: "major", pre: true, releasable: true, tagged: true,
				tags: []string{"2.0.0-rc.1", "SHA"}},
		},
		{
			name: "monorepo prefix app/v",
			setup: func(r *repo) {
				r.commit("feat: a")
				r.tag("app/v1.2.3", "lib/v3.0.0", "v9.9.9")
				r.commit("feat(app): b")
			},
			opts: []Option{WithTagPrefix("app/v")},
			want: want{current: "1.2.3", version: "1.3.0", gitTag: "app/v1.3.0", bump: "minor", releasable: true, highest: true,
				tags: []string{"1.3.0", "1.3", "1", "SHA", "latest"}},
		},
		{
			name: "monorepo prefix lib/v",
			setup: func(r *repo) {
				r.commit("feat: a")
				r.tag("app/v1.2.3", "lib/v3.0.0")
				r.commit("fix(lib): b")
			},
			opts: []Option{WithTagPrefix("lib/v")},
			want: want{current: "3.0.0", version: "3.0.1", gitTag: "lib/v3.0.1", bump: "patch", releasable: true, highest: true,
				tags: []string{"3.0.1", "3.0", "3", "SHA", "latest"}},
		},
		{
			name: "non-semver tags ignored",
			setup: func(r *repo) {
				r.commit("feat: a")
				r.tag("v1.0.0")
				r.commit("feat: b")
				r.tag("v1.2", "release-5", "vfoo", "v01.2.3", "1.5.0")
				r.commit("fix: c")
			},
			want: want{current: "1.0.0", version: "1.1.0", gitTag: "v1.1.0", bump: "minor", releasable: true, highest: true,
				tags: []string{"1.1.0", "1.1", "1", "SHA", "latest"}},
		},
		{
			name:  "0.x breaking bumps minor",
			setup: func(r *repo) { r.commit("feat: a"); r.tag("v0.3.1"); r.commit("feat!: b") },
			want: want{current: "0.3.1", version: "0.4.0", gitTag: "v0.4.0", bump: "minor", releasable: true, highest: true,
				tags: []string{"0.4.0", "0.4", "SHA", "latest"}},
		},
		{
			name:  "0.x breaking with v0-major",
			setup: func(r *repo) { r.commit("feat: a"); r.tag("v0.3.1"); r.commit("feat!: b") },
			opts:  []Option{WithV0Major(true)},
			want: want{current: "0.3.1", version: "1.0.0", gitTag: "v1.0.0", bump: "major", releasable: true, highest: true,
				tags: []string{"1.0.0", "1.0", "1", "SHA", "latest"}},
		},
		{
			name: "hotfix after a higher major: no latest, keeps its line",
			setup: func(r *repo) {
				r.commit("feat: a")
				r.tag("v1.9.0")
				r.git("branch", "release/1.9")
				r.commit("feat!: b")
				r.tag("v2.0.0")
				r.commit("fix: c")
				r.tag("v2.0.1")
				r.git("checkout", "-q", "release/1.9")
				r.commit("fix: hotfix")
			},
			want: want{current: "1.9.0", version: "1.9.1", gitTag: "v1.9.1", bump: "patch", releasable: true,
				tags: []string{"1.9.1", "1.9", "1", "SHA"}},
		},
		{
			name: "hotfix below an existing patch: only the exact version",
			setup: func(r *repo) {
				r.commit("feat: a")
				r.tag("v1.9.0")
				r.git("branch", "old")
				r.commit("fix: b")
				r.commit("fix: c")
				r.tag("v1.9.2")
				r.git("checkout", "-q", "old")
				r.commit("fix: hotfix")
			},
			want: want{current: "1.9.0", version: "1.9.1", gitTag: "v1.9.1", bump: "patch", releasable: true,
				tags: []string{"1.9.1", "SHA"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRepo(t)
			tc.setup(r)
			rel, err := Plan(ctx, r.dir, tc.opts...)
			if tc.name == "collision with a tag on another commit" {
				if !errors.Is(err, ErrTagExists) || !strings.Contains(err.Error(), "v1.1.0") {
					t.Fatalf("err = %v, want ErrTagExists naming v1.1.0", err)
				}
				sha := r.git("rev-parse", "v1.1.0^{commit}")
				if !strings.Contains(err.Error(), sha) {
					t.Errorf("error %q does not name commit %s", err, sha)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkRelease(t, r, rel, tc.want)
			if tc.check != nil {
				tc.check(t, r, rel)
			}
		})
	}
}

func TestPlanInvalidOptions(t *testing.T) {
	r := newRepo(t)
	r.commit("feat: a")
	for _, tc := range []struct {
		name string
		opt  Option
		is   error
		msg  string
	}{
		{"bad bump", WithBump("huge"), ErrInvalidOption, `"huge" is not major, minor or patch`},
		{"numeric prerelease id", WithPrerelease("1"), ErrInvalidOption, "not only digits"},
		{"dotted prerelease id", WithPrerelease("rc.1"), ErrInvalidOption, "prerelease id"},
		{"bad latest", WithFlavor(Flavor{Latest: "sometimes"}), ErrInvalidRule, "latest"},
		{"bad rule", WithRules([]Rule{{Type: "ref", Event: "push"}}), ErrInvalidRule, `unknown event "push"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Plan(context.Background(), r.dir, tc.opt)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want %v containing %q", err, tc.is, tc.msg)
			}
		})
	}
}

func TestPlanEventsAndRules(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	r.commit("feat: a")
	r.tag("v1.0.0")
	r.commit("feat: b")
	head := r.head()
	short := head[:7]
	rules := func(text string) []Rule {
		rs, err := ParseRules(text)
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	all := rules(`type=schedule
type=schedule,pattern={{date 'YYYYMMDD'}}
type=semver,pattern={{version}}
type=semver,pattern={{major}}.{{minor}}
type=semver,pattern=v{{raw}}
type=ref,event=branch
type=ref,event=tag
type=ref,event=pr
type=edge
type=raw,value=stable,enable=false
type=raw,value=build-{{sha}},priority=50
type=sha,format=long,prefix=`)
	now := time.Date(2025, 3, 9, 23, 30, 0, 0, time.UTC)
	cases := []struct {
		name  string
		opts  []Option
		want  []string
		notes int
	}{
		{"local run on main", []Option{WithRules(all)},
			[]string{"1.1.0", "1.1", "vv1.1.0", "edge", "main", head, "build-" + short, "latest"}, 0},
		{"push to main", []Option{WithRules(all), WithEvent(Event{Name: "push", Ref: "refs/heads/main", SHA: head})},
			[]string{"1.1.0", "1.1", "vv1.1.0", "edge", "main", head, "build-" + short, "latest"}, 0},
		{"push to feature branch, sha mismatch noted", []Option{WithRules(all), WithEvent(Event{Name: "push", Ref: "refs/heads/feature/x", SHA: "deadbeef"})},
			[]string{"1.1.0", "1.1", "vv1.1.0", "feature-x", head, "build-" + short, "latest"}, 1},
		{"edge follows the default branch", []Option{WithRules(all), WithEvent(Event{Name: "push", Ref: "refs/heads/trunk", DefaultBranch: "trunk"})},
			[]string{"1.1.0", "1.1", "vv1.1.0", "edge", "trunk", head, "build-" + short, "latest"}, 0},
		{"tag push", []Option{WithRules(all), WithEvent(Event{Name: "push", Ref: "refs/tags/v1.1.0"})},
			[]string{"1.1.0", "1.1", "vv1.1.0", "v1.1.0", head, "build-" + short, "latest"}, 0},
		{"pull request: no semver, no latest", []Option{WithRules(all), WithEvent(Event{Name: "pull_request", Ref: "refs/pull/12/merge", HeadRef: "feature/x", BaseRef: "main"})},
			[]string{"pr-12", head, "build-" + short}, 0},
		{"schedule", []Option{WithRules(all), WithNow(now), WithEvent(Event{Name: "schedule", Ref: "refs/heads/main"})},
			[]string{"nightly", "20250309", "1.1.0", "1.1", "vv1.1.0", "edge", "main", head, "build-" + short}, 0}, // type=schedule yields first and gives no latest, as in metadata-action
		{"schedule date defaults to commit time", []Option{WithRules(rules(`type=schedule,pattern={{date 'YYYY-MM-DD'}}`)), WithEvent(Event{Name: "schedule"})},
			[]string{"2023-11-14"}, 0},
		{"latest=false", []Option{WithFlavor(Flavor{Latest: "false"})}, []string{"1.1.0", "1.1", "1", "sha-" + short}, 0},
		{"latest=true without semver rules", []Option{WithRules(rules("type=sha")), WithFlavor(Flavor{Latest: "true"})}, []string{"sha-" + short, "latest"}, 0},
		{"latest=auto without semver rules", []Option{WithRules(rules("type=sha"))}, []string{"sha-" + short}, 0},
		{"flavor prefix and suffix, onlatest", []Option{WithFlavor(Flavor{Prefix: "app-", Suffix: "-alpine", SuffixOnLatest: true})},
			[]string{"app-1.1.0-alpine", "app-1.1-alpine", "app-1-alpine", "sha-" + short + "-alpine", "latest-alpine"}, 0},
		{"priority reorders; the first rule to yield a tag decides latest", []Option{WithRules(rules("type=sha,priority=2000\ntype=raw,value=x\ntype=semver,pattern={{version}}"))},
			[]string{"sha-" + short, "1.1.0", "x"}, 0},
		{"duplicates removed after sanitizing", []Option{WithRules(rules("type=raw,value=a/b\ntype=raw,value=a-b\ntype=raw,value=a b"))}, []string{"a-b"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rel, err := Plan(ctx, r.dir, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(rel.Tags, " ") != strings.Join(tc.want, " ") {
				t.Errorf("Tags = %v\nwant   %v", rel.Tags, tc.want)
			}
			if len(rel.Notes) != tc.notes {
				t.Errorf("Notes = %q", rel.Notes)
			}
		})
	}
}

func TestPlanPrereleaseFlavorSafety(t *testing.T) {
	r := newRepo(t)
	r.commit("feat: a")
	r.tag("v1.0.0")
	r.commit("feat: b")
	rel, err := Plan(context.Background(), r.dir, WithPrerelease("beta"), WithFlavor(Flavor{Latest: "true"}))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"1.1.0-beta.1", "sha-" + r.head()[:7]}
	if strings.Join(rel.Tags, " ") != strings.Join(want, " ") {
		t.Errorf("Tags = %v, want %v (latest=true never tags a prerelease)", rel.Tags, want)
	}
}

// One plan, several images' rules: the version is planned once and each
// rule set sees the same release.
func TestReleaseTagsWith(t *testing.T) {
	r := newRepo(t)
	r.commit("feat: a")
	r.tag("v1.0.0")
	r.commit("feat: b")
	rel, err := Plan(context.Background(), r.dir)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := ParseRules("type=semver,pattern={{major}}.{{minor}}\ntype=raw,value=worker")
	if err != nil {
		t.Fatal(err)
	}
	got, err := rel.TagsWith(rules, Flavor{Suffix: "-slim"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "1.1-slim worker-slim latest"; strings.Join(got, " ") != want {
		t.Errorf("TagsWith = %v, want %s", got, want)
	}
	if _, err := (&Release{}).TagsWith(nil, Flavor{}); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("a Release not made by Plan: err = %v, want ErrInvalidOption", err)
	}
}

// A prerelease that lifts the version above what the commits or --bump
// give (v1.0.0-rc.1 with --bump minor releases 1.0.0, a major bump) is
// explained in a note; a plain promotion needs none.
func TestPlanExplainsFinishingACandidate(t *testing.T) {
	for _, tc := range []struct {
		name          string
		setup         func(r *repo)
		bump, version string
		note          []string // fragments of the one note; nil: no note
	}{
		{
			name:    "rc.1 of 1.0.0 on HEAD with --bump minor",
			setup:   func(r *repo) { r.commit("feat: a"); r.tag("v1.0.0-rc.1") },
			bump:    "minor",
			version: "1.0.0",
			note:    []string{"1.0.0-rc.1 → 1.0.0: finishing the release candidate", "v1.0.0-rc.1 is on HEAD", "--bump minor alone would give 0.1.0", "from 0.0.0 (no stable release yet) that is a major bump"},
		},
		{
			name: "reachable rc of 2.0.0 after fixes with --bump patch",
			setup: func(r *repo) {
				r.commit("feat: a")
				r.tag("v1.0.0")
				r.commit("feat!: b")
				r.tag("v2.0.0-rc.1")
				r.commit("fix: c")
			},
			bump:    "patch",
			version: "2.0.0",
			note:    []string{"2.0.0-rc.1 → 2.0.0: finishing the release candidate", "v2.0.0-rc.1 is already cut", "--bump patch alone would give 1.0.1", "from 1.0.0 that is a major bump"},
		},
		{
			name: "reachable rc of 2.0.0 after fixes",
			setup: func(r *repo) {
				r.commit("feat: a")
				r.tag("v1.0.0")
				r.commit("chore: b")
				r.tag("v2.0.0-rc.1")
				r.commit("fix: c")
			},
			version: "2.0.0",
			note:    []string{"2.0.0-rc.1 → 2.0.0", "the commits alone would give 1.0.1"},
		},
		{
			name:    "rc of the bumped version on HEAD",
			setup:   func(r *repo) { r.commit("feat: a"); r.tag("v1.2.0"); r.commit("feat: b"); r.tag("v1.3.0-rc.1") },
			bump:    "minor",
			version: "1.3.0",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRepo(t)
			tc.setup(r)
			var opts []Option
			if tc.bump != "" {
				opts = append(opts, WithBump(tc.bump))
			}
			rel, err := Plan(context.Background(), r.dir, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if rel.Version != tc.version {
				t.Errorf("version %s, want %s", rel.Version, tc.version)
			}
			if tc.note == nil {
				if len(rel.Notes) != 0 {
					t.Errorf("Notes = %q, want none", rel.Notes)
				}
				return
			}
			if len(rel.Notes) != 1 {
				t.Fatalf("Notes = %q, want one", rel.Notes)
			}
			for _, f := range tc.note {
				if !strings.Contains(rel.Notes[0], f) {
					t.Errorf("note %q lacks %q", rel.Notes[0], f)
				}
			}
		})
	}
}
