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
	Revert   string `json:"revert,omitempty"`   // the commit this one reverts, when it is a revert
	Reverted bool   `json:"reverted,omitempty"` // it and its revert are both in the range: neither counts
	Bump     string `json:"bump"`               // the level this commit alone implies: "major"|"minor"|"patch"|"none"
}

// headerRe is the Conventional Commits header: type(scope)!: subject.
// The space after the colon is required by the specification and keeps
// "Merge branch 'x': …"-style subjects out.
var headerRe = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9-]*)(?:\(([^()\r\n]*)\))?(!)?: +(\S.*)$`)

// breakingFooterRe is conventional-commits-parser's note pattern with the
// angular preset's keywords: a line of the body, after optional blanks or
// "*", starting with the upper-case token. It counts under any header, as
// semantic-release's commit analyzer counts it.
var breakingFooterRe = regexp.MustCompile(`(?m)^[\s|*]*BREAKING[ -]CHANGE[:\s]+\S`)

// revertRe is the angular preset's revert pattern: `revert: <header>` or
// git's `Revert "<header>"`, with "This reverts commit <sha>." in the body.
var revertRe = regexp.MustCompile(`(?is)^(?:Revert|revert:)\s"?(.+?)"?\s*This reverts commit (\w+)\.`)

// parseCommit classifies one commit message as semantic-release's default
// commit analyzer does (conventional-changelog-angular): feat → minor,
// fix/perf (and FEAT/FIX) → patch, a revert → patch, `!` or a BREAKING
// CHANGE note → major.
func parseCommit(sha, message string) Commit {
	header, body, _ := strings.Cut(message, "\n")
	header = strings.TrimSpace(header)
	c := Commit{SHA: sha, Subject: header, Bump: bumpName(bumpNone)}
	c.Breaking = breakingFooterRe.MatchString(body)
	if m := revertRe.FindStringSubmatch(strings.TrimSpace(message)); m != nil {
		c.Revert = m[2]
	}
	if m := headerRe.FindStringSubmatch(header); m != nil {
		c.Type = m[1]
		c.Scope = m[2]
		c.Breaking = c.Breaking || m[3] == "!"
	}
	c.Bump = bumpName(commitLevel(c))
	return c
}

func commitLevel(c Commit) int {
	switch {
	case c.Breaking:
		return bumpMajor
	case c.Revert != "":
		return bumpPatch
	case c.Type == "feat" || c.Type == "FEAT":
		return bumpMinor
	case c.Type == "fix" || c.Type == "FIX" || c.Type == "perf":
		return bumpPatch
	}
	return bumpNone
}

// parseCommits classifies raw commits and returns the highest level implied.
// A commit and its revert, both in the range, cancel out (the analyzer's
// conventional-commits-filter): neither counts.
func parseCommits(raw []rawCommit) ([]Commit, int) {
	out := make([]Commit, 0, len(raw))
	for _, r := range raw {
		if strings.TrimSpace(r.Message) == "" {
			continue
		}
		out = append(out, parseCommit(r.SHA, r.Message))
	}
	cancelled := map[int]bool{}
	for i, c := range out {
		if c.Revert == "" {
			continue
		}
		for j, o := range out {
			if j != i && !cancelled[j] && len(c.Revert) >= 7 && strings.HasPrefix(o.SHA, c.Revert) {
				cancelled[i], cancelled[j] = true, true
				break
			}
		}
	}
	level := bumpNone
	for i := range out {
		if cancelled[i] {
			out[i].Bump = bumpName(bumpNone)
			out[i].Reverted = true
			continue
		}
		level = max(level, commitLevel(out[i]))
	}
	return out, level
}
