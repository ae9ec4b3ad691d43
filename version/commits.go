package version

import (
	"regexp"
	"strings"
)

// Bump levels, ordered so that the largest implied level wins.
const (
	bumpNone = iota
	bumpPatch
	bumpMinor
	bumpMajor
)

var bumpNames = [...]string{"none", "patch", "minor", "major"}

func bumpName(level int) string { return bumpNames[level] }

// parseBump maps a WithBump value to a level; "" means no override.
func parseBump(s string) (int, bool) {
	switch s {
	case "major":
		return bumpMajor, true
	case "minor":
		return bumpMinor, true
	case "patch":
		return bumpPatch, true
	}
	return bumpNone, false
}

// Commit is one commit considered for the bump, as reported in the plan.
type Commit struct {
	SHA      string `json:"sha"`
	Subject  string `json:"subject"`
	Type     string `json:"type,omitempty"`  // Conventional Commit type, lower-cased; "" when the header is not conventional
	Scope    string `json:"scope,omitempty"` // text in the parentheses, if any
	Breaking bool   `json:"breaking,omitempty"`
	Bump     string `json:"bump"` // the level this commit alone implies: "major"|"minor"|"patch"|"none"
}

// headerRe is the Conventional Commits header: type(scope)!: subject.
// The space after the colon is required by the specification and keeps
// "Merge branch 'x': …"-style subjects out.
var headerRe = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9-]*)(?:\(([^()\r\n]*)\))?(!)?: +(\S.*)$`)

// breakingFooterRe matches the footer token at the start of a line. The
// specification makes the token case-sensitive (upper case), so "breaking
// change:" in prose does not trigger a major release.
var breakingFooterRe = regexp.MustCompile(`(?m)^BREAKING[ -]CHANGE: `)

// parseCommit classifies one commit message. Non-conventional messages
// (merge commits, "WIP") imply no bump, even with a BREAKING CHANGE footer,
// because the footer belongs to the conventional format.
func parseCommit(sha, message string) Commit {
	header, body, _ := strings.Cut(message, "\n")
	header = strings.TrimSpace(header)
	c := Commit{SHA: sha, Subject: header, Bump: bumpName(bumpNone)}
	m := headerRe.FindStringSubmatch(header)
	if m == nil {
		return c
	}
	c.Type = strings.ToLower(m[1])
	c.Scope = m[2]
	c.Breaking = m[3] == "!" || breakingFooterRe.MatchString(body)
	c.Bump = bumpName(commitLevel(c))
	return c
}

func commitLevel(c Commit) int {
	switch {
	case c.Type == "":
		return bumpNone
	case c.Breaking:
		return bumpMajor
	case c.Type == "feat":
		return bumpMinor
	case c.Type == "fix" || c.Type == "perf":
		return bumpPatch
	}
	return bumpNone
}

// parseCommits classifies raw commits and returns the highest level implied.
func parseCommits(raw []rawCommit) ([]Commit, int) {
	level := bumpNone
	out := make([]Commit, 0, len(raw))
	for _, r := range raw {
		c := parseCommit(r.SHA, r.Message)
		level = max(level, commitLevel(c))
		out = append(out, c)
	}
	return out, level
}
