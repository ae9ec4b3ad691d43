package version

import (
	"fmt"
	"strings"
)

// notesSections orders the changelog the way readers look for changes:
// what breaks first, then what is new, then what was fixed. Types that
// release nothing (chore, ci, docs, …) are left out, as conventional
// changelog tools do, because they do not change what users run.
var notesSections = []struct {
	title string
	match func(Commit) bool
}{
	{"Breaking changes", func(c Commit) bool { return c.Breaking }},
	{"Features", func(c Commit) bool { return !c.Breaking && c.Type == "feat" }},
	{"Bug fixes", func(c Commit) bool { return !c.Breaking && c.Type == "fix" }},
	{"Performance", func(c Commit) bool { return !c.Breaking && c.Type == "perf" }},
}

// Notes renders the release's Conventional Commits as a Markdown changelog
// section: a heading with the version and date (YYYY-MM-DD, or none when
// date is empty; "Unreleased" when nothing since the last tag releases),
// then one list per kind of change, each entry the commit's
// description with its scope in bold and its short sha. A release with no
// user-visible commit says so rather than printing an empty section.
func Notes(rel *Release, date string) string {
	var b strings.Builder
	heading := rel.GitTag
	if !rel.Releasable || heading == "" {
		heading = "Unreleased"
	}
	if date != "" {
		heading += " (" + date + ")"
	}
	fmt.Fprintf(&b, "## %s\n", heading)
	written := false
	for _, s := range notesSections {
		var lines []string
		for _, c := range rel.Commits {
			if s.match(c) {
				lines = append(lines, noteLine(c))
			}
		}
		if len(lines) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n### %s\n\n", s.title)
		for _, l := range lines {
			b.WriteString(l)
		}
		written = true
	}
	if !written {
		b.WriteString("\nNo user-visible changes (no feat, fix, perf or breaking commits).\n")
	}
	return b.String()
}

func noteLine(c Commit) string {
	desc := c.Subject
	if m := headerRe.FindStringSubmatch(c.Subject); m != nil {
		desc = m[4]
	}
	if c.Scope != "" {
		desc = "**" + c.Scope + ":** " + desc
	}
	return fmt.Sprintf("- %s (%s)\n", desc, c.SHA[:min(7, len(c.SHA))])
}
