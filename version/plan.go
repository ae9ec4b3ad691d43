package version

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
)

// Release is the plan for the checked-out commit.
type Release struct {
	Current    string   `json:"current"`               // highest semver tag reachable from HEAD, without prefix; "" if none
	CurrentTag string   `json:"current_tag,omitempty"` // its git tag name, e.g. "v1.2.3"
	Version    string   `json:"version"`               // the version this commit releases (no prefix); Current when not releasable
	GitTag     string   `json:"git_tag"`               // prefix+Version, the git tag to create
	Bump       string   `json:"bump"`                  // "major"|"minor"|"patch"|"none"
	Prerelease bool     `json:"prerelease"`
	Releasable bool     `json:"releasable"` // false when nothing since the last tag bumps the version and no bump was forced
	Tagged     bool     `json:"tagged"`     // HEAD already carries GitTag: a re-run plans the same release
	Highest    bool     `json:"highest"`    // a releasable stable version at least as high as every stable tag: it gets latest
	Commit     string   `json:"commit"`     // full HEAD sha
	Tags       []string `json:"tags"`       // image tags, highest priority first, sanitized, deduplicated
	Commits    []Commit `json:"commits,omitempty"`
	Notes      []string `json:"notes,omitempty"`

	tc *tagContext // what the rules saw, for TagsWith
}

// TagsWith evaluates other tag rules and flavor against the same plan, so a
// release with several images plans its version once and gives each image
// its own tags. nil or empty rules mean [DefaultRules].
func (r *Release) TagsWith(rules []Rule, f Flavor) ([]string, error) {
	if r.tc == nil {
		return nil, fmt.Errorf("evaluating tag rules: %w: the release was not made by Plan", ErrInvalidOption)
	}
	for i, rule := range rules {
		if err := validateRule(rule); err != nil {
			return nil, fmt.Errorf("checking tag rule %d: %w", i+1, err)
		}
	}
	if len(rules) == 0 {
		rules = DefaultRules()
	}
	tc := *r.tc
	tc.flavor = f
	if tc.flavor.Latest == "" {
		tc.flavor.Latest = "auto"
	}
	return imageTags(&tc, rules)
}

// prereleaseIDRe is one semver identifier that cannot be mistaken for the
// counter: alphanumerics and hyphens with at least one non-digit.
var prereleaseIDRe = regexp.MustCompile(`^[0-9A-Za-z-]*[A-Za-z-][0-9A-Za-z-]*$`)

// Plan reads the repository at dir and plans the release of HEAD.
func Plan(ctx context.Context, dir string, opts ...Option) (*Release, error) {
	o := options{prefix: "v"}
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	g := git{dir: dir}
	if err := g.check(ctx); err != nil {
		return nil, err
	}
	head, headTime, err := g.head(ctx)
	if err != nil {
		return nil, fmt.Errorf("planning release in %s: %w", dir, err)
	}
	all, reachable, err := g.tags(ctx)
	if err != nil {
		return nil, fmt.Errorf("planning release in %s: %w", dir, err)
	}
	tags := matchTags(all, reachable, o.prefix)
	rel := &Release{Commit: head, Tags: []string{}, Bump: bumpName(bumpNone)}
	if len(tags) == 0 {
		rel.Notes = append(rel.Notes, fmt.Sprintf("no tags match prefix %s (%d other tags); planning from 0.0.0; if the repository has tags, run git fetch --tags", o.prefix, len(all)))
	}
	if o.event.SHA != "" && o.event.SHA != head {
		rel.Notes = append(rel.Notes, fmt.Sprintf("event sha %s differs from HEAD %s; the plan describes HEAD", o.event.SHA, head))
	}

	version, err := planVersion(ctx, g, &o, tags, head, rel)
	if err != nil {
		return nil, fmt.Errorf("planning release in %s: %w", dir, err)
	}

	tc := &tagContext{release: rel, version: version, all: tags, prefix: o.prefix, flavor: o.flavor, commitTime: headTime, sha: head, shortSHA: o.metaEnv.ShortSHALength}
	if tc.flavor.Latest == "" {
		tc.flavor.Latest = "auto"
	}
	tc.now = o.now
	if tc.now.IsZero() {
		tc.now = headTime
	}
	o.event.apply(ctx, g, tc, o.metaEnv)
	rules := o.rules
	if len(rules) == 0 {
		rules = DefaultRules()
	}
	rel.tc = tc
	if rel.Tags, err = imageTags(tc, rules); err != nil {
		return nil, fmt.Errorf("planning image tags in %s: %w", dir, err)
	}
	return rel, nil
}

func (o *options) validate() error {
	if o.bump != "" {
		if _, ok := parseBump(o.bump); !ok {
			return fmt.Errorf("checking bump level: %w: %q is not major, minor or patch", ErrInvalidOption, o.bump)
		}
	}
	if o.prerelease != "" && !prereleaseIDRe.MatchString(o.prerelease) {
		return fmt.Errorf("checking prerelease id: %w: %q must be letters, digits and hyphens, not only digits (e.g. rc, beta)", ErrInvalidOption, o.prerelease)
	}
	switch o.flavor.Latest {
	case "", "auto", "true", "false":
	default:
		return fmt.Errorf("checking flavor: %w: latest=%q must be auto, true or false", ErrInvalidRule, o.flavor.Latest)
	}
	for i, r := range o.rules {
		if err := validateRule(r); err != nil {
			if r.Line > 0 {
				return fmt.Errorf("checking tag rule on line %d: %w", r.Line, err)
			}
			return fmt.Errorf("checking tag rule %d: %w", i+1, err)
		}
	}
	return nil
}

// planVersion fills the version fields of rel and returns the released
// version, or nil when nothing is released.
func planVersion(ctx context.Context, g git, o *options, tags []versionTag, head string, rel *Release) (*semver.Version, error) {
	onHead := func(t versionTag) bool { return t.Commit == head }
	if cur, ok := first(tags, func(t versionTag) bool { return t.Reachable }); ok {
		rel.Current, rel.CurrentTag = cur.Version.String(), cur.Name
	}
	zero := semver.New(0, 0, 0, "", "")

	// A re-run on an already tagged commit must plan the same release.
	headKind := func(t versionTag) bool {
		if !onHead(t) {
			return false
		}
		if o.prerelease == "" {
			return t.stable()
		}
		return prereleaseNumber(t.Version.Prerelease(), o.prerelease) >= 0
	}
	if t, ok := first(tags, headKind); ok {
		base := zero
		prev, hasPrev := first(tags, func(x versionTag) bool { return x.Reachable && x.stable() && !onHead(x) })
		from := ""
		if hasPrev {
			base, from = prev.Version, prev.Commit
		}
		if err := addCommits(ctx, g, from, rel); err != nil {
			return nil, err
		}
		if o.bump != "" {
			rel.Notes = append(rel.Notes, fmt.Sprintf("HEAD already carries %s; bump %s ignored so a re-run releases the same version", t.Name, o.bump))
		}
		rel.Bump = bumpName(levelBetween(base, coreOf(t.Version)))
		return finish(rel, tags, t.Version, t.Name, true), nil
	}

	base, from := zero, ""
	if last, ok := first(tags, func(t versionTag) bool { return t.Reachable && t.stable() }); ok {
		base, from = last.Version, last.Commit
	}
	// A release candidate pushed by hand (v1.3.0-rc.2 on HEAD) is released
	// as itself: a v*-triggered workflow must not turn every candidate into
	// a stable release with floating tags and latest. --bump promotes it.
	if o.prerelease == "" && o.bump == "" {
		if t, ok := first(tags, func(t versionTag) bool { return onHead(t) && !t.stable() }); ok {
			if err := addCommits(ctx, g, from, rel); err != nil {
				return nil, err
			}
			rel.Bump = bumpName(levelBetween(base, coreOf(t.Version)))
			rel.Notes = append(rel.Notes, fmt.Sprintf("HEAD carries the prerelease %s: released as that prerelease; pass --bump to promote it to a stable version", t.Name))
			return finish(rel, tags, t.Version, t.Name, true), nil
		}
	}
	level, err := commitsLevel(ctx, g, from, rel)
	if err != nil {
		return nil, err
	}
	if level == bumpMajor && base.Major() == 0 && !o.v0Major {
		level = bumpMinor
	}
	if forced, ok := parseBump(o.bump); ok {
		level = forced
	}
	var target *semver.Version
	if level == bumpNone && o.prerelease == "" {
		// Promotion of a prerelease tagged by hand on HEAD with no
		// releasable commit behind it: v1.3.0-rc.2 on HEAD releases 1.3.0.
		if pre, ok := first(tags, func(t versionTag) bool { return onHead(t) && coreOf(t.Version).GreaterThan(base) }); ok {
			target = coreOf(pre.Version)
			level = levelBetween(base, target)
		}
	}
	if level == bumpNone {
		rel.Version, rel.GitTag = rel.Current, rel.CurrentTag
		if cur, ok := first(tags, func(t versionTag) bool { return t.Reachable }); ok {
			rel.Tagged = onHead(cur)
		}
		rel.Prerelease = strings.Contains(rel.Version, "-")
		return nil, nil
	}
	rel.Bump = bumpName(level)
	if target == nil {
		target = bumpVersion(base, level)
		// A reachable prerelease of a later version means the history already
		// aims there (v2.0.0-rc.1 was cut); releasing 1.2.1 past it would
		// step backwards.
		if pre, ok := first(tags, func(t versionTag) bool { return t.Reachable && !t.stable() && coreOf(t.Version).GreaterThan(target) }); ok {
			rel.Notes = append(rel.Notes, finishingNote(pre, onHead(pre), base, target, o.bump))
			target = coreOf(pre.Version)
		}
	}
	// bump names the step from the last release to the version planned, so
	// it never contradicts it (1.0.0 → 2.0.0 is major even if the commits
	// alone say patch).
	rel.Bump = bumpName(max(levelBetween(base, target), bumpPatch))
	v := target
	if o.prerelease != "" {
		n := nextPrerelease(tags, *target, o.prerelease)
		pv, err := target.SetPrerelease(o.prerelease + "." + strconv.Itoa(n))
		if err != nil {
			return nil, fmt.Errorf("making prerelease version: %w", err)
		}
		v = &pv
	}
	gitTag := o.prefix + v.String()
	tagged := false
	for _, t := range tags {
		if !t.Version.Equal(v) || t.Version.Prerelease() != v.Prerelease() {
			continue
		}
		if !onHead(t) {
			return nil, fmt.Errorf("computing next version %s: %w: tag %s is on commit %s, not HEAD %s; merge that commit, delete the tag if it was a mistake, or pick another version with --bump", v, ErrTagExists, t.Name, t.Commit, head)
		}
		gitTag, tagged = t.Name, true
	}
	return finish(rel, tags, v, gitTag, tagged), nil
}

func finish(rel *Release, tags []versionTag, v *semver.Version, gitTag string, tagged bool) *semver.Version {
	rel.Version, rel.GitTag = v.String(), gitTag
	rel.Releasable, rel.Tagged = true, tagged
	rel.Prerelease = v.Prerelease() != ""
	rel.Highest = !rel.Prerelease && highestIn(tags, v, func(*semver.Version) bool { return true })
	return v
}

func addCommits(ctx context.Context, g git, from string, rel *Release) error {
	_, err := commitsLevel(ctx, g, from, rel)
	return err
}

func commitsLevel(ctx context.Context, g git, from string, rel *Release) (int, error) {
	raw, err := g.log(ctx, from)
	if err != nil {
		return bumpNone, err
	}
	commits, level := parseCommits(raw)
	rel.Commits = commits
	return level, nil
}

// apply turns the CI event into what rules can see. A zero Event (local run)
// takes the branch from git.
func (e Event) apply(ctx context.Context, g git, tc *tagContext, m MetadataEnv) {
	tc.eventName = e.Name
	if e.Name == "pull_request_target" && e.PRNumber > 0 {
		// The event's ref is the base branch; the image describes the PR.
		e.Ref = "refs/pull/" + strconv.Itoa(e.PRNumber) + "/merge"
	}
	ref := e.Ref
	tc.ref = ref
	if strings.HasPrefix(ref, "refs/tags/") {
		tc.baseRef = strings.TrimPrefix(e.PushBaseRef, "refs/heads/")
	} else if strings.HasPrefix(ref, "refs/pull/") {
		tc.baseRef = e.BaseRef
	}
	switch {
	case strings.HasPrefix(ref, "refs/heads/"):
		tc.branch = strings.TrimPrefix(ref, "refs/heads/")
	case strings.HasPrefix(ref, "refs/tags/"):
		tc.gitTagRef = strings.TrimPrefix(ref, "refs/tags/")
	case strings.HasPrefix(ref, "refs/pull/"):
		num, _, _ := strings.Cut(strings.TrimPrefix(ref, "refs/pull/"), "/")
		if n, err := strconv.Atoi(num); err == nil && e.PRNumber == 0 {
			e.PRNumber = n
		}
	case ref == "" && g.dir != "":
		tc.branch = g.branch(ctx)
	}
	if e.Name == "pull_request" || e.Name == "pull_request_target" || strings.HasPrefix(ref, "refs/pull/") {
		tc.prEvent = true
		tc.pr = e.PRNumber
		tc.headRef = e.HeadRef
		tc.branch = ""
		if m.PRHeadSHA && e.PRHeadSHA != "" {
			tc.sha = e.PRHeadSHA
		}
	}
	tc.defaultBranch = e.DefaultBranch
	if tc.defaultBranch == "" && strings.Contains(e.Name, "schedule") {
		// Scheduled workflows run on the default branch.
		tc.defaultBranch = tc.branch
	}
	if tc.defaultBranch == "" && g.dir != "" {
		tc.defaultBranch = g.remoteDefaultBranch(ctx)
	}
	if tc.defaultBranch == "" {
		tc.defaultBranch = "main"
	}
}

// EventTags computes the image tags of rules for a CI event alone, with no
// repository and no planned release: what metadata-action computes from the
// same event. Semver and match rules read the pushed tag or value=.
func EventTags(e Event, rules []Rule, f Flavor, m MetadataEnv, now time.Time) ([]string, error) {
	if f.Latest == "" {
		f.Latest = "auto"
	}
	tc := &tagContext{release: &Release{Commit: e.SHA}, flavor: f, now: now, commitTime: now, sha: e.SHA, shortSHA: m.ShortSHALength}
	e.apply(context.Background(), git{}, tc, m)
	for i, r := range rules {
		if err := validateRule(r); err != nil {
			return nil, fmt.Errorf("checking tag rule %d: %w", i+1, err)
		}
	}
	return imageTags(tc, rules)
}

// finishingNote explains a version that a prerelease already cut lifted
// above the commits' (or --bump's) own target, so that a "major bump" after
// --bump minor is not a surprise: v1.0.0-rc.1 on HEAD with --bump minor
// releases 1.0.0, not 0.1.0.
func finishingNote(pre versionTag, onHead bool, base, target *semver.Version, bump string) string {
	core := coreOf(pre.Version)
	why := "the commits"
	if bump != "" {
		why = "--bump " + bump
	}
	from := base.String()
	if base.Equal(semver.New(0, 0, 0, "", "")) {
		from = "0.0.0 (no stable release yet)"
	}
	where := "is already cut"
	if onHead {
		where = "is on HEAD"
	}
	return fmt.Sprintf("%s → %s: finishing the release candidate; the prerelease %s %s, and a release never steps back below it (%s alone would give %s); from %s that is a %s bump",
		pre.Version, core, pre.Name, where, why, target, from, bumpName(levelBetween(base, core)))
}
