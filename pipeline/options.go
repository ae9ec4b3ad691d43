package pipeline

import (
	"context"
	"time"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/builder/buildkit"
	"github.com/sreevishnu07/stevedore/builder/lint"
	"github.com/sreevishnu07/stevedore/event"
	"github.com/sreevishnu07/stevedore/publish"
	"github.com/sreevishnu07/stevedore/sbom"
	"github.com/sreevishnu07/stevedore/sign"
	"github.com/sreevishnu07/stevedore/version"
)

// Option configures Release.
type Option func(*options)

// SignerFunc turns a signing configuration into a signer, replacing the
// signing policy of [WithSigningEnv] (tests hand in a fixed key with it).
type SignerFunc func(ctx context.Context, s Signing) (*sign.Signer, error)

type options struct {
	created     time.Time // the created label's time; zero: the commit's
	dir         string
	dryRun      bool
	snapshot    bool
	allowDirty  bool
	gitTag      bool
	event       version.Event
	metaEnv     version.MetadataEnv
	repoInfo    version.RepoInfo
	labels      map[string]string
	annotations map[string]string
	bump        string
	publish     []publish.Option
	build       []builder.Option
	sbom        []sbom.Option
	signer      SignerFunc
	signingEnv  *SigningEnv
	progress    event.Sink
	checks      func(image string, findings []lint.Finding)
	ledgerPath  string
	ledgerSet   bool
	builderID   string
	builderVer  string
	sourceRepo  string
	ciRun       CIRun
	now         func() time.Time
	builderAddr string
	builderTLS  *buildkit.TLS
	secretEnv   func(string) (string, bool)
}

// WithDir is the directory paths in the configuration are relative to (the
// repository root, where stevedore.yaml is). Default ".".
func WithDir(dir string) Option { return func(o *options) { o.dir = dir } }

// WithDryRun plans the release and returns the plan with no side effect.
func WithDryRun(b bool) Option { return func(o *options) { o.dryRun = b } }

// WithSnapshot builds a non-release X.Y.Z-SNAPSHOT-<sha> that never moves a
// floating tag.
func WithSnapshot(b bool) Option { return func(o *options) { o.snapshot = b } }

// WithAllowDirty releases a build context with uncommitted changes, marked
// dirty in the plan and the ledger, instead of refusing it with ErrDirty.
func WithAllowDirty(b bool) Option { return func(o *options) { o.allowDirty = b } }

// WithGitTag creates the release's git tag after everything else worked.
func WithGitTag(b bool) Option { return func(o *options) { o.gitTag = b } }

// WithBump forces the version bump (major, minor or patch).
func WithBump(level string) Option { return func(o *options) { o.bump = level } }

// WithEvent hands in the CI context for tag rules.
func WithEvent(e version.Event) Option { return func(o *options) { o.event = e } }

// WithRepository describes the source repository for the
// org.opencontainers.image.* labels and annotations (title, description,
// source, url, licenses).
func WithRepository(info version.RepoInfo) Option { return func(o *options) { o.repoInfo = info } }

// WithLabels and WithAnnotations override stevedore.yaml's labels and
// annotations key by key (the command line's --label/--annotation).
func WithLabels(m map[string]string) Option { return func(o *options) { o.labels = m } }

// WithCreated sets the time the org.opencontainers.image.created label and
// annotation give: SOURCE_DATE_EPOCH when the user sets it, so the label
// agrees with the image config's time. Default: the commit time.
func WithCreated(t time.Time) Option { return func(o *options) { o.created = t } }

// WithAnnotations: see [WithLabels].
func WithAnnotations(m map[string]string) Option { return func(o *options) { o.annotations = m } }

// WithMetadataEnv sets metadata-action's DOCKER_METADATA_* switches for the
// tag rules.
func WithMetadataEnv(m version.MetadataEnv) Option { return func(o *options) { o.metaEnv = m } }

// WithPublishOptions sets how registries are reached.
func WithPublishOptions(opts ...publish.Option) Option {
	return func(o *options) { o.publish = append(o.publish, opts...) }
}

// WithBuildOptions adds build options (cache directory, isolation, ...).
func WithBuildOptions(opts ...builder.Option) Option {
	return func(o *options) { o.build = append(o.build, opts...) }
}

// WithSBOMOptions adds SBOM options (the SBOM cache directory, ...).
func WithSBOMOptions(opts ...sbom.Option) Option {
	return func(o *options) { o.sbom = append(o.sbom, opts...) }
}

// WithSigner sets how signers are made. Without it or [WithSigningEnv]
// nothing is signed and the sign and verify steps are skipped, saying so.
func WithSigner(f SignerFunc) Option { return func(o *options) { o.signer = f } }

// WithSigningEnv signs by stevedore's signing policy (see [SigningEnv]),
// with the keys, password and OIDC token source the environment gives.
// Signing material is checked in the plan step, before anything is built.
func WithSigningEnv(e SigningEnv) Option { return func(o *options) { o.signingEnv = &e } }

// WithProgress receives the release's events: an event.Phase at the start
// and end of each step, the build's event.Step, notices.
func WithProgress(p event.Sink) Option { return func(o *options) { o.progress = p } }

// WithLedger overrides the ledger path of the configuration; "" writes no
// ledger (the release is still recorded in the Report, and pins from it).
func WithLedger(path string) Option {
	return func(o *options) { o.ledgerPath, o.ledgerSet = path, true }
}

// WithProvenance names the builder (e.g. the GitHub workflow), stevedore's
// version and the source repository URL for the SLSA provenance. An empty
// builderID records stevedore's own URL; an empty sourceRepo is read from
// the repository's origin remote (made https, credentials removed).
func WithProvenance(builderID, builderVersion, sourceRepo string) Option {
	return func(o *options) { o.builderID, o.builderVer, o.sourceRepo = builderID, builderVersion, sourceRepo }
}

// WithCIRun identifies the CI run in the provenance
// (runDetails.metadata.invocationId, see [CIRun.InvocationID]) and, on
// GitLab, the source repository. Default: none, a local build has no run
// to name.
func WithCIRun(c CIRun) Option { return func(o *options) { o.ciRun = c } }

// WithChecks receives each image's build check findings (docker build's
// warnings) as its build ends; the CLI prints them as warnings, or as
// annotations in GitHub Actions.
func WithChecks(f func(image string, findings []lint.Finding)) Option {
	return func(o *options) { o.checks = f }
}
