package version

import "time"

// Event is the CI context the caller hands in (the CLI reads GITHUB_* env
// vars). The zero value is a local run: branch and sha come from git.
type Event struct {
	Name          string // GITHUB_EVENT_NAME: push, pull_request, schedule, workflow_dispatch, ...
	Ref           string // GITHUB_REF: refs/heads/main, refs/tags/v1.2.3, refs/pull/12/merge
	SHA           string // GITHUB_SHA; the plan always describes the checked-out HEAD, a mismatch adds a note
	HeadRef       string // GITHUB_HEAD_REF (PR source branch), used for {{branch}} in pull requests
	BaseRef       string // GITHUB_BASE_REF, available as {{base_ref}}
	PRNumber      int    // pull request number; parsed from refs/pull/N/… when 0
	DefaultBranch string // repository default branch for type=edge; when empty: origin/HEAD of the clone, else "main"
}

type options struct {
	prefix     string
	bump       string
	prerelease string
	v0Major    bool
	rules      []Rule
	flavor     Flavor
	event      Event
	now        time.Time
}

// Option configures Plan.
type Option func(*options)

// WithTagPrefix sets the git tag prefix (default "v"); "app/v" selects
// app/v1.2.3 in a monorepo and ignores every other component's tags.
func WithTagPrefix(p string) Option { return func(o *options) { o.prefix = p } }

// WithBump forces "major", "minor" or "patch", even when no commit is
// releasable. Any other non-empty value makes Plan fail.
func WithBump(level string) Option { return func(o *options) { o.bump = level } }

// WithPrerelease plans a prerelease "X.Y.Z-id.N" of the next stable version,
// N one above the highest existing for that version and id among all tags.
func WithPrerelease(id string) Option { return func(o *options) { o.prerelease = id } }

// WithV0Major lets a breaking change below 1.0.0 bump the major version;
// by default it bumps the minor, as semver allows anything in 0.x.
func WithV0Major(b bool) Option { return func(o *options) { o.v0Major = b } }

// WithRules sets the image tag rules; nil or empty means [DefaultRules].
func WithRules(r []Rule) Option { return func(o *options) { o.rules = r } }

// WithFlavor sets metadata-action's flavor (latest, prefix, suffix).
func WithFlavor(f Flavor) Option { return func(o *options) { o.flavor = f } }

// WithEvent sets the CI context; the zero Event is a local run.
func WithEvent(e Event) Option { return func(o *options) { o.event = e } }

// WithNow sets the time for {{date}} in schedule patterns. The default is the
// HEAD commit time, so that the same commit always plans the same tags.
func WithNow(t time.Time) Option { return func(o *options) { o.now = t } }
