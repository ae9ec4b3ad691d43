package version

import "testing"

func TestParseCommit(t *testing.T) {
	cases := []struct {
		msg              string
		typ, scope, bump string
		breaking         bool
	}{
		{"feat: add login", "feat", "", "minor", false},
		{"feat(auth): add login", "feat", "auth", "minor", false},
		{"Feat(Auth): case", "Feat", "Auth", "none", false}, // the angular rules are case-sensitive: feat or FEAT
		{"FEAT: upper case", "FEAT", "", "minor", false},
		{"FIX: upper case", "FIX", "", "patch", false},
		{"fix: bug", "fix", "", "patch", false},
		{"perf(db): faster", "perf", "db", "patch", false},
		{"chore: deps", "chore", "", "none", false},
		{"docs(readme): typo", "docs", "readme", "none", false},
		{"ci!: new runner", "ci", "", "major", true},
		{"feat(api)!: remove v1", "feat", "api", "major", true},
		{"fix: x\n\nBREAKING CHANGE: y", "fix", "", "major", true},
		{"refactor: x\n\nbody\n\nBREAKING-CHANGE: y", "refactor", "", "major", true},
		{"fix: x\n\nbreaking change: lower case is prose", "fix", "", "patch", false},
		{"fix: x\n\nmentions BREAKING CHANGE: mid-line", "fix", "", "patch", false},
		{"Merge branch 'feature/x'", "", "", "none", false},
		{"Merge pull request #12 from o/feat: thing", "", "", "none", false},
		{"feat:no space", "", "", "none", false},
		{"feat(): empty scope", "feat", "", "minor", false},
		{"WIP\n\nBREAKING CHANGE: under any header", "", "", "major", true},
		// semantic-release/commit-analyzer test/integration.test.js
		{"Update: Second feature (fixes #456) \n\n BREAKING CHANGE: break something", "Update", "", "major", true},
		{"feat!: Breaking change feature", "feat", "", "major", true},
		{"revert: feat(scope): First feature\n\nThis reverts commit df012f3.\n", "revert", "", "patch", false},
		{"Revert \"feat: x\"\n\nThis reverts commit 0123456789abcdef.", "", "", "patch", false},
		{"doc: doc update", "doc", "", "none", false},
		{"chore: Chore", "chore", "", "none", false},
		{"", "", "", "none", false},
	}
	for _, tc := range cases {
		t.Run(tc.msg, func(t *testing.T) {
			c := parseCommit("abc", tc.msg)
			if c.Type != tc.typ || c.Scope != tc.scope || c.Bump != tc.bump || c.Breaking != tc.breaking || c.SHA != "abc" {
				t.Errorf("parseCommit = %+v, want type=%q scope=%q bump=%q breaking=%v", c, tc.typ, tc.scope, tc.bump, tc.breaking)
			}
		})
	}
}

func TestParseCommitsLevel(t *testing.T) {
	_, level := parseCommits([]rawCommit{{"1", "docs: a"}, {"2", "fix: b"}, {"3", "feat: c"}, {"4", "chore: d"}})
	if level != bumpMinor {
		t.Errorf("level = %s, want minor", bumpName(level))
	}
	_, level = parseCommits(nil)
	if level != bumpNone {
		t.Errorf("level = %s, want none", bumpName(level))
	}
}

// semantic-release/commit-analyzer's integration cases with the default
// configuration: the release type of a set of commits.
func TestParseCommitsLikeCommitAnalyzer(t *testing.T) {
	cases := []struct {
		name    string
		commits []rawCommit
		want    string
	}{
		{"angular by default", []rawCommit{{"123", "fix(scope1): First fix"}, {"456", "feat(scope2): Second feature"}}, "minor"},
		{"reverted commits excluded", []rawCommit{
			{"df012f1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "fix(scope): First fix"},
			{"df012f2aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "revert: feat(scope): First feature\n\nThis reverts commit df012f3.\n"},
			{"df012f3aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "feat(scope): First feature"},
		}, "patch"},
		{"revert of an earlier release", []rawCommit{{"aaa", "revert: feat: x\n\nThis reverts commit 1234567."}}, "patch"},
		{"conventionalcommits breaking", []rawCommit{{"123", "fix: First fix"}, {"456", "feat!: Breaking change feature"}}, "major"},
		{"only patch types", []rawCommit{{"123", "fix: First fix (fixes #123)"}, {"456", "perf: perf improvement"}}, "patch"},
		{"no rule matches", []rawCommit{{"123", "doc: doc update"}, {"456", "chore: Chore"}}, "none"},
		{"empty commits filtered", []rawCommit{{"123", ""}, {"456", "fix(scope1): First fix"}}, "patch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, level := parseCommits(tc.commits)
			if got := bumpName(level); got != tc.want {
				t.Errorf("release type %s, semantic-release says %s", got, tc.want)
			}
		})
	}
}
