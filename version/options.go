package version

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Event is the CI context the caller hands in (the CLI reads GITHUB_* env
// vars). The zero value is a local run: branch and sha come from git.
type Event struct {
	Name          string // GITHUB_EVENT_NAME: push, pull_request, schedule, workflow_dispatch, ...
	Ref           string // GITHUB_REF: refs/heads/main, refs/tags/v1.2.3, refs/pull/12/merge
	SHA           string // GITHUB_SHA; the plan always describes the checked-out HEAD, a mismatch adds a note
	HeadRef       string // GITHUB_HEAD_REF (PR source branch), used for {{branch}} in pull requests
	BaseRef       string // GITHUB_BASE_REF, available as {{base_ref}}
	PRNumber      int    // pull request number; parsed from refs/pull/N/… when 0
	DefaultBranch string // repository default branch for type=edge; when empty: the ref's branch on schedule events, else origin/HEAD of the clone, else "main"
	PushBaseRef   string // the push payload's base_ref: on tag pushes, the branch the tag was pushed from ({{base_ref}})
	PRHeadSHA     string // the pull request's head commit, used for sha with MetadataEnv.PRHeadSHA
}

// MetadataEnv holds metadata-action's DOCKER_METADATA_* switches. The CLI
// reads them from the environment with [ParseMetadataEnv].
type MetadataEnv struct {
	PRHeadSHA      bool // DOCKER_METADATA_PR_HEAD_SHA: on pull requests, sha is the PR head, not the merge commit
	ShortSHALength int  // DOCKER_METADATA_SHORT_SHA_LENGTH: length of {{sha}} and type=sha (default 7)
}

// ParseMetadataEnv reads the DOCKER_METADATA_* variables through lookup
// (os.Getenv in the CLI). Unknown DOCKER_METADATA_ names are the caller's
// to report; see [MetadataEnvNames].
func ParseMetadataEnv(lookup func(string) string) (MetadataEnv, error) {
	var m MetadataEnv
	if v := lookup("DOCKER_METADATA_PR_HEAD_SHA"); v != "" {
		m.PRHeadSHA = strings.EqualFold(v, "true")
	}
	if v := lookup("DOCKER_METADATA_SHORT_SHA_LENGTH"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return MetadataEnv{}, fmt.Errorf("reading DOCKER_METADATA_SHORT_SHA_LENGTH: %w: %q is not a positive number", ErrInvalidOption, v)
		}
		m.ShortSHALength = n
	}
	return m, nil
}

// MetadataEnvNames are the DOCKER_METADATA_* variables stevedore honours.
// DOCKER_METADATA_ANNOTATIONS_LEVELS is read by the release (annotations).
// DOCKER_METADATA_ANNOTATIONS_LEVELS and DOCKER_METADATA_SET_OUTPUT_ENV
// shape the GitHub Action's outputs.
var MetadataEnvNames = []string{"DOCKER_METADATA_PR_HEAD_SHA", "DOCKER_METADATA_SHORT_SHA_LENGTH", "DOCKER_METADATA_ANNOTATIONS_LEVELS", "DOCKER_METADATA_SET_OUTPUT_ENV"}

// UnknownMetadataEnv returns a warning for each DOCKER_METADATA_* name
// among names that metadata-action does not read, with the nearest known
// name: a misspelt switch would otherwise be silently ignored. The
// DOCKER_METADATA_OUTPUT_* variables an earlier metadata-action step
// exported are known.
func UnknownMetadataEnv(names []string) []string {
	var out []string
	for _, n := range names {
		if !strings.HasPrefix(n, "DOCKER_METADATA_") || strings.HasPrefix(n, "DOCKER_METADATA_OUTPUT_") || contains(MetadataEnvNames, n) {
			continue
		}
		out = append(out, fmt.Sprintf("%s is not a metadata-action setting and is ignored%s; known: %s", n, suggest(n, MetadataEnvNames), strings.Join(MetadataEnvNames, ", ")))
	}
	return out
}

type options struct {
	prefix     string
	bump       string
	prerelease string
	v0Major    bool
	rules      []Rule
	flavor     Flavor
	event      Event
	metaEnv    MetadataEnv
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

// WithMetadataEnv sets metadata-action's DOCKER_METADATA_* switches.
func WithMetadataEnv(m MetadataEnv) Option { return func(o *options) { o.metaEnv = m } }

// WithNow sets the time for {{date}} in schedule patterns. The default is the
// HEAD commit time, so that the same commit always plans the same tags.
func WithNow(t time.Time) Option { return func(o *options) { o.now = t } }
