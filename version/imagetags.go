package version

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
)

// tagContext is everything the rules can see; it is built once by Plan.
type tagContext struct {
	release       *Release
	version       *semver.Version // the planned version; nil when nothing is released
	all           []versionTag    // every tag with the prefix, for the "highest in its line" checks
	eventName     string
	branch        string // "" unless the ref is a branch
	gitTagRef     string // "" unless the ref is a tag
	prEvent       bool   // pull_request(_target) or a refs/pull/ ref
	pr            int    // the pull request number, 0 if unknown
	headRef       string // PR source branch, for {{branch}}
	baseRef       string
	defaultBranch string
	now           time.Time
	commitTime    time.Time
	flavor        Flavor
}

func (c *tagContext) isPR() bool { return c.prEvent }

// candidate is one image tag before ordering.
type candidate struct {
	tag      string
	priority int
	seq      int
}

// imageTags evaluates the rules. Order: priority, then rule order, then the
// order a rule produced them in; `latest` sits right after the semver tags.
func imageTags(c *tagContext, rules []Rule) ([]string, error) {
	var cands []candidate
	semverRules, latestPrio := 0, 0
	for i, r := range rules {
		if r.Disabled {
			continue
		}
		if r.Type == "semver" {
			if semverRules == 0 || r.Priority > latestPrio {
				latestPrio = r.Priority
			}
			semverRules++
		}
		vals, err := ruleTags(c, r)
		if err != nil {
			return nil, err
		}
		for _, v := range vals {
			t, err := c.withAffixes(v, r)
			if err != nil {
				return nil, err
			}
			cands = append(cands, candidate{tag: t, priority: r.Priority, seq: i})
		}
	}
	if c.wantLatest(semverRules > 0) {
		latest := "latest"
		if c.flavor.PrefixOnLatest {
			latest = c.flavor.Prefix + latest
		}
		if c.flavor.SuffixOnLatest {
			latest += c.flavor.Suffix
		}
		if semverRules == 0 {
			latestPrio = defaultPriority["semver"]
		}
		cands = append(cands, candidate{tag: latest, priority: latestPrio, seq: len(rules)})
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].priority != cands[j].priority {
			return cands[i].priority > cands[j].priority
		}
		return cands[i].seq < cands[j].seq
	})
	seen := map[string]bool{}
	out := []string{}
	for _, cd := range cands {
		t := Sanitize(cd.tag)
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, t)
	}
	return out, nil
}

// wantLatest applies the safety rule: `latest` only ever names a released,
// stable version that is the highest among all tags, whatever flavor says.
func (c *tagContext) wantLatest(hasSemverRule bool) bool {
	if c.version == nil || c.isPR() || c.version.Prerelease() != "" || !c.release.Highest {
		return false
	}
	switch c.flavor.Latest {
	case "false":
		return false
	case "true":
		return true
	}
	return hasSemverRule
}

// withAffixes follows metadata-action: a rule's own non-empty prefix/suffix
// replaces the flavor's. Both may hold expressions ({{branch}}-).
func (c *tagContext) withAffixes(v string, r Rule) (string, error) {
	prefix, suffix := r.Prefix, r.Suffix
	if prefix == "" {
		prefix = c.flavor.Prefix
	}
	if suffix == "" {
		suffix = c.flavor.Suffix
	}
	p, err := expand(prefix, c.data(nil))
	if err != nil {
		return "", ruleErr(r, err)
	}
	sfx, err := expand(suffix, c.data(nil))
	if err != nil {
		return "", ruleErr(r, err)
	}
	return p + v + sfx, nil
}

func (c *tagContext) data(extra map[string]string) tmplData {
	sha := c.release.Commit
	isDefault := "false"
	if c.branch != "" && c.branch == c.defaultBranch {
		isDefault = "true"
	}
	branch := c.branch
	if c.isPR() {
		branch = c.headRef
	}
	vars := map[string]string{
		"branch": branch, "tag": c.gitTagRef, "sha": shortSHA(sha),
		"base_ref": c.baseRef, "is_default_branch": isDefault,
	}
	for k, v := range extra {
		vars[k] = v
	}
	return tmplData{vars: vars, now: c.now, commitTime: c.commitTime}
}

func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// ruleTags returns the raw (unsanitized, unprefixed) values one rule yields.
func ruleTags(c *tagContext, r Rule) ([]string, error) {
	one := func(tmpl string, extra map[string]string) ([]string, error) {
		v, err := expand(tmpl, c.data(extra))
		if err != nil {
			return nil, ruleErr(r, err)
		}
		return []string{v}, nil
	}
	switch r.Type {
	case "schedule":
		if c.eventName != "schedule" {
			return nil, nil
		}
		return one(r.Pattern, nil)
	case "semver":
		return semverTags(c, r)
	case "edge":
		want := r.Branch
		if want == "" {
			want = c.defaultBranch
		}
		if c.branch == "" || c.branch != want {
			return nil, nil
		}
		return []string{"edge"}, nil
	case "ref":
		switch r.Event {
		case "branch":
			if c.branch == "" {
				return nil, nil
			}
			return []string{c.branch}, nil
		case "tag":
			if c.gitTagRef == "" {
				return nil, nil
			}
			return []string{c.gitTagRef}, nil
		case "pr":
			if !c.isPR() || c.pr <= 0 {
				return nil, nil
			}
			return []string{itoa(c.pr)}, nil
		}
		return nil, nil
	case "raw":
		return one(r.Value, nil)
	case "sha":
		sha := c.release.Commit
		if r.Format != "long" {
			sha = shortSHA(sha)
		}
		return []string{sha}, nil
	}
	return nil, ruleErr(r, errUnknownType(r.Type))
}

// semverTags renders a semver pattern for the planned release (or value=).
// stevedore planned the version from history, so semver rules apply to every
// releasable plan, not only to tag pushes as in metadata-action; they never
// apply to pull requests, whose images must not look like releases.
func semverTags(c *tagContext, r Rule) ([]string, error) {
	if c.isPR() {
		return nil, nil
	}
	v, raw := c.version, c.release.GitTag
	if r.Value != "" {
		vv, err := expand(r.Value, c.data(nil))
		if err != nil {
			return nil, ruleErr(r, err)
		}
		parsed, err := semver.NewVersion(vv)
		if err != nil {
			return nil, ruleErr(r, err)
		}
		v, raw = parsed, vv
	}
	if v == nil {
		return nil, nil
	}
	floating := floatingLevel(r.Pattern)
	if floating != floatNone {
		// Floating aliases move; only the newest release of their line may
		// take them, and prereleases never do.
		if v.Prerelease() != "" {
			return nil, nil
		}
		if floating == floatMajor && v.Major() == 0 {
			return nil, nil // a bare "0" would alias every unstable release
		}
		inLine := func(o *semver.Version) bool {
			return o.Major() == v.Major() && (floating == floatMajor || o.Minor() == v.Minor())
		}
		if !highestIn(c.all, v, inLine) {
			return nil, nil
		}
	}
	out, err := expand(r.Pattern, c.data(map[string]string{
		"version": v.String(),
		"major":   itoa(int(v.Major())),
		"minor":   itoa(int(v.Minor())),
		"patch":   itoa(int(v.Patch())),
		"raw":     raw,
	}))
	if err != nil {
		return nil, ruleErr(r, err)
	}
	return []string{out}, nil
}

const (
	floatNone = iota
	floatMinor
	floatMajor
)

// floatingLevel tells whether a pattern names a line of releases rather than
// one release: it uses {{major}} and/or {{minor}} but not {{patch}},
// {{version}} or {{raw}}.
func floatingLevel(pattern string) int {
	has := func(name string) bool {
		return strings.Contains(strings.ReplaceAll(pattern, " ", ""), "{{"+name+"}}")
	}
	if has("patch") || has("version") || has("raw") {
		return floatNone
	}
	switch {
	case has("minor"):
		return floatMinor
	case has("major"):
		return floatMajor
	}
	return floatNone
}

// Sanitize makes s a valid OCI distribution tag, [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}:
// every run of other characters (slashes, spaces, "+", non-ASCII) becomes one
// "-", leading "." and "-" are dropped (a tag cannot start with them, and
// "_" would invent a character the user never wrote), and the result is cut
// to 128 characters. It returns "" when nothing valid is left; such tags are
// omitted from a plan.
func Sanitize(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		ok := r == '_' || r == '.' || r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if !ok {
			if !dash {
				b.WriteByte('-')
				dash = true
			}
			continue
		}
		dash = false
		b.WriteRune(r)
	}
	out := strings.TrimLeft(b.String(), ".-")
	if len(out) > 128 {
		out = out[:128]
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

// ruleErr names the rule's source line when it has one.
func ruleErr(r Rule, err error) error {
	if r.Line > 0 {
		return fmt.Errorf("applying tag rule on line %d (type=%s): %w", r.Line, r.Type, err)
	}
	return fmt.Errorf("applying tag rule type=%s: %w", r.Type, err)
}

func errUnknownType(t string) error {
	return fmt.Errorf("%w: unknown type %q", ErrInvalidRule, t)
}
