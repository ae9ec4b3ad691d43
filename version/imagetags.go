package version

import (
	"fmt"
	"regexp"
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
	prefix        string          // the git tag prefix, to read a pushed tag as a version
	eventName     string
	ref           string // the event's full ref, refs/heads/… | refs/tags/… | refs/pull/…
	branch        string // "" unless the ref is a branch
	gitTagRef     string // "" unless the ref is a tag
	prEvent       bool   // pull_request(_target) or a refs/pull/ ref
	pr            int    // the pull request number, 0 if unknown
	headRef       string // PR source branch, for {{branch}}
	baseRef       string
	defaultBranch string
	sha           string // the commit the tags describe (the PR head with DOCKER_METADATA_PR_HEAD_SHA)
	shortSHA      int    // length of {{sha}} and type=sha
	now           time.Time
	commitTime    time.Time
	flavor        Flavor
}

func (c *tagContext) isPR() bool { return c.prEvent }

// ruleResult is what one rule yields: tag values and whether, as the first
// rule to yield anything, it asks for latest.
type ruleResult struct {
	values []string
	latest bool
}

// imageTags evaluates the rules as metadata-action does: rules by priority
// (stable), the first tag is the main one, the first rule that yields a tag
// decides latest, and latest comes last. stevedore's safety rule holds on
// top: latest only names a stable version that is the highest of all tags,
// never a pull request or a prerelease.
func imageTags(c *tagContext, rules []Rule) ([]string, error) {
	sorted := append([]Rule(nil), rules...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Priority > sorted[j].Priority })
	out := []string{}
	seen := map[string]bool{}
	latestSet, latest := false, false
	for _, r := range sorted {
		on, err := c.enabled(r)
		if err != nil {
			return nil, err
		}
		if !on {
			continue
		}
		res, err := ruleTags(c, r)
		if err != nil {
			return nil, err
		}
		for _, v := range res.values {
			t, err := c.withAffixes(v, r)
			if err != nil {
				return nil, err
			}
			t = Sanitize(t)
			if t == "" {
				continue
			}
			if !latestSet {
				latestSet, latest = true, res.latest
			}
			if !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	if len(out) > 0 && latest && !c.isPR() {
		name := "latest"
		if c.flavor.PrefixOnLatest {
			name = c.flavor.Prefix + name
		}
		if c.flavor.SuffixOnLatest {
			name += c.flavor.Suffix
		}
		if t := Sanitize(name); t != "" && !seen[t] {
			out = append(out, t)
		}
	}
	return out, nil
}

// enabled evaluates enable=, which may be an expression.
func (c *tagContext) enabled(r Rule) (bool, error) {
	if r.Disabled {
		return false, nil
	}
	if r.Enable == "" {
		return true, nil
	}
	v, err := expand(r.Enable, c.data(nil))
	if err != nil {
		return false, ruleErr(r, err)
	}
	switch strings.TrimSpace(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, ruleErr(r, fmt.Errorf("%w: key \"enable\": %q gives %q, not true or false", ErrInvalidRule, r.Enable, v))
}

// flavorLatest is metadata-action's per-rule latest: the rule's own answer
// under latest=auto, the flavor's otherwise.
func (c *tagContext) flavorLatest(auto bool) bool {
	switch c.flavor.Latest {
	case "true":
		return true
	case "false":
		return false
	}
	return auto
}

// safeLatest: a version may take latest only when it is stable and no stable
// tag is higher.
func (c *tagContext) safeLatest(v *semver.Version) bool {
	return v != nil && v.Prerelease() == "" && highestIn(c.all, v, func(*semver.Version) bool { return true })
}

// withAffixes follows metadata-action: a rule that names prefix=/suffix=
// (even empty) replaces the flavor's. Both may hold expressions ({{branch}}-).
func (c *tagContext) withAffixes(v string, r Rule) (string, error) {
	prefix, suffix := r.Prefix, r.Suffix
	if !r.HasPrefix && prefix == "" {
		prefix = c.flavor.Prefix
	}
	if !r.HasSuffix && suffix == "" {
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
	isDefault := "false"
	if c.branch != "" && c.branch == c.defaultBranch {
		isDefault = "true"
	}
	// These events always run on the default branch's last commit.
	for _, ev := range []string{"create", "discussion", "issues", "schedule"} {
		if strings.Contains(c.eventName, ev) && c.branch != "" {
			isDefault = "true"
		}
	}
	notDefault := "true"
	if isDefault == "true" {
		notDefault = "false"
	}
	vars := map[string]string{
		"branch": c.branch, "tag": c.gitTagRef, "sha": c.short(),
		"base_ref": c.baseRef, "is_default_branch": isDefault, "is_not_default_branch": notDefault,
	}
	for k, v := range extra {
		vars[k] = v
	}
	return tmplData{vars: vars, now: c.now, commitTime: c.commitTime}
}

func (c *tagContext) short() string {
	n := c.shortSHA
	if n <= 0 {
		n = 7
	}
	if len(c.sha) > n {
		return c.sha[:n]
	}
	return c.sha
}

// ruleTags returns the raw (unsanitized, unprefixed) values one rule yields.
func ruleTags(c *tagContext, r Rule) (ruleResult, error) {
	one := func(tmpl string, autoLatest bool) (ruleResult, error) {
		v, err := expand(tmpl, c.data(nil))
		if err != nil {
			return ruleResult{}, ruleErr(r, err)
		}
		return ruleResult{values: []string{v}, latest: c.flavorLatest(autoLatest)}, nil
	}
	switch r.Type {
	case "schedule":
		if !strings.Contains(c.eventName, "schedule") {
			return ruleResult{}, nil
		}
		return one(r.Pattern, false)
	case "semver":
		return semverTags(c, r)
	case "pep440":
		return pep440Tags(c, r)
	case "match":
		return matchRuleTags(c, r)
	case "edge":
		want := r.Branch
		if want == "" {
			want = c.defaultBranch
		}
		if c.branch == "" || c.branch != want {
			return ruleResult{}, nil
		}
		return ruleResult{values: []string{"edge"}, latest: c.flavorLatest(false)}, nil
	case "ref":
		switch r.Event {
		case "branch":
			if c.branch == "" {
				return ruleResult{}, nil
			}
			return ruleResult{values: []string{c.branch}, latest: c.flavorLatest(false)}, nil
		case "tag":
			if c.gitTagRef == "" {
				return ruleResult{}, nil
			}
			// metadata-action gives every pushed tag latest; stevedore only
			// the highest stable release among the version tags.
			auto := false
			if v, ok := c.tagVersion(c.gitTagRef); ok {
				auto = c.safeLatest(v)
			}
			return ruleResult{values: []string{c.gitTagRef}, latest: c.flavorLatest(auto) && (c.flavor.Latest == "true" || auto)}, nil
		case "pr":
			if !c.isPR() || c.pr <= 0 {
				return ruleResult{}, nil
			}
			return ruleResult{values: []string{itoa(c.pr)}, latest: c.flavorLatest(false)}, nil
		}
		return ruleResult{}, nil
	case "raw":
		return one(r.Value, false)
	case "sha":
		if c.sha == "" {
			return ruleResult{}, nil
		}
		sha := c.sha
		if r.Format != "long" {
			sha = c.short()
		}
		return ruleResult{values: []string{sha}, latest: c.flavorLatest(false)}, nil
	}
	return ruleResult{}, ruleErr(r, errUnknownType(r.Type))
}

// tagVersion reads a pushed git tag as a version: the configured prefix or
// a "v" is dropped, and the rest must be a full semantic version.
func (c *tagContext) tagVersion(tag string) (*semver.Version, bool) {
	rest := tag
	if c.prefix != "" {
		rest = strings.TrimPrefix(rest, c.prefix)
	}
	rest = strings.TrimPrefix(strings.TrimPrefix(rest, "v"), "=")
	v, err := semver.StrictNewVersion(rest)
	return v, err == nil
}

// compileMatch compiles metadata-action's match expressions: a bare
// expression or /expression/flags (only i is meaningful here).
func compileMatch(expr string) (*regexp.Regexp, error) {
	if m := regexp.MustCompile(`^/(.+)/([a-z]*)$`).FindStringSubmatch(expr); m != nil {
		expr = m[1]
		if strings.Contains(m[2], "i") {
			expr = "(?i)" + expr
		}
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("compiling regular expression %q: %w", expr, err)
	}
	return re, nil
}

// sourceValue is what semver and match rules read: value= when given, else
// the pushed tag; ok is false when neither exists.
func (c *tagContext) sourceValue(r Rule) (string, bool, error) {
	if r.Value != "" {
		v, err := expand(r.Value, c.data(nil))
		if err != nil {
			return "", false, ruleErr(r, err)
		}
		return v, true, nil
	}
	if c.gitTagRef != "" {
		return c.gitTagRef, true, nil
	}
	return "", false, nil
}

// versionSource is what semver and pep440 rules parse: the pushed tag or
// value=, narrowed to group 1 of match= when that matches, with "/" as "-".
func (c *tagContext) versionSource(r Rule) (string, bool, error) {
	src, ok, err := c.sourceValue(r)
	if err != nil || !ok {
		return "", false, err
	}
	if r.Match != "" {
		re, err := compileMatch(r.Match)
		if err != nil {
			return "", false, ruleErr(r, err)
		}
		if m := re.FindStringSubmatch(src); len(m) > 1 {
			src = m[1]
		}
	}
	return strings.ReplaceAll(src, "/", "-"), true, nil
}

// matchRuleTags is type=match: a capture group of the pushed tag or value=.
func matchRuleTags(c *tagContext, r Rule) (ruleResult, error) {
	src, ok, err := c.sourceValue(r)
	if err != nil || !ok {
		return ruleResult{}, err
	}
	re, err := compileMatch(r.Pattern)
	if err != nil {
		return ruleResult{}, ruleErr(r, err)
	}
	m := re.FindStringSubmatch(src)
	if m == nil || r.Group >= len(m) {
		return ruleResult{}, nil
	}
	return ruleResult{values: []string{m[r.Group]}, latest: c.flavorLatest(true) && !c.isPR()}, nil
}

// semverTags renders a semver pattern for the pushed tag or value= (as
// metadata-action) and, on other events, for the release stevedore planned
// from history; never for pull requests, whose images must not look like
// releases.
func semverTags(c *tagContext, r Rule) (ruleResult, error) {
	if c.isPR() && r.Value == "" {
		return ruleResult{}, nil
	}
	var v *semver.Version
	raw := ""
	src, ok, err := c.versionSource(r)
	if err != nil {
		return ruleResult{}, err
	}
	switch {
	case ok:
		parsed, isVersion := c.tagVersion(src)
		if !isVersion {
			return ruleResult{}, nil
		}
		v, raw = parsed, src
	case c.version != nil:
		v, raw = c.version, c.release.GitTag
	default:
		return ruleResult{}, nil
	}
	pattern := r.Pattern
	if v.Prerelease() != "" {
		// metadata-action renders prereleases as {{version}} whatever the
		// pattern (unless it is {{raw}}), so floating patterns never move.
		if strings.ReplaceAll(pattern, " ", "") != "{{raw}}" {
			pattern = "{{version}}"
		}
	} else if floating := floatingLevel(pattern); floating != floatNone {
		// Floating aliases move; only the newest release of their line may
		// take them.
		if floating == floatMajor && v.Major() == 0 {
			return ruleResult{}, nil // a bare "0" would alias every unstable release
		}
		inLine := func(o *semver.Version) bool {
			return o.Major() == v.Major() && (floating == floatMajor || o.Minor() == v.Minor())
		}
		if !highestIn(c.all, v, inLine) {
			return ruleResult{}, nil
		}
	}
	out, err := expand(pattern, c.data(map[string]string{
		"version": v.String(),
		"major":   itoa(int(v.Major())),
		"minor":   itoa(int(v.Minor())),
		"patch":   itoa(int(v.Patch())),
		"raw":     raw,
	}))
	if err != nil {
		return ruleResult{}, ruleErr(r, err)
	}
	safe := c.safeLatest(v)
	return ruleResult{values: []string{out}, latest: c.flavorLatest(safe) && safe}, nil
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
