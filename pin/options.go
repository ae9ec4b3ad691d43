package pin

// DefaultJobs bounds concurrent registry lookups.
const DefaultJobs = 4

// Option configures Find, Pin, Check and Update.
type Option func(*options)

type options struct {
	exclude  []string
	allow    []string
	jobs     int
	strict   Resolver
	verifier Verifier
	dryRun   bool
}

func makeOptions(opts []Option) *options {
	o := &options{jobs: DefaultJobs}
	for _, opt := range opts {
		if opt != nil {
			opt(o)
		}
	}
	return o
}

// WithExclude skips files and directories matching any of the globs, tried
// against the slash-separated path as given, the path relative to the
// walked directory and the base name. "*" stays within one path element,
// "**" crosses them. Default: none (.git, vendor and node_modules are
// always skipped when walking a directory).
func WithExclude(globs ...string) Option {
	return func(o *options) { o.exclude = append(o.exclude, globs...) }
}

// WithAllow exempts repositories matching these globs (e.g.
// "docker.io/library/*", "ghcr.io/acme/**") from signature verification in
// Update. They are still pinned and checked. Repositories are matched in
// their canonical form, Docker Hub spelled "docker.io" (docker.io/library/nginx).
// Default: none.
func WithAllow(globs ...string) Option {
	return func(o *options) { o.allow = append(o.allow, globs...) }
}

// WithJobs bounds concurrent resolutions. Default DefaultJobs; n < 1 means 1.
func WithJobs(n int) Option {
	return func(o *options) { o.jobs = max(n, 1) }
}

// WithStrict makes Check also resolve every tag@digest pair with r and
// report those whose tag now points elsewhere. Default: off (Check then
// needs no registry).
func WithStrict(r Resolver) Option {
	return func(o *options) { o.strict = r }
}

// WithDryRun makes Pin and Update compute and return their changes without
// writing any file. Default: off.
func WithDryRun() Option {
	return func(o *options) { o.dryRun = true }
}

// WithVerifier makes Check verify the signature of every pinned digest
// whose repository is not in the allow list. Default: off.
func WithVerifier(v Verifier) Option {
	return func(o *options) { o.verifier = v }
}
