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
		{"Feat(Auth): case", "feat", "Auth", "minor", false},
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
		{"WIP\n\nBREAKING CHANGE: not conventional", "", "", "none", false},
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
