package sign

import (
	"context"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Defaults for the options below.
const (
	// DefaultRekorURL is the public Sigstore transparency log.
	DefaultRekorURL = "https://rekor.sigstore.dev"
	// DefaultFulcioURL is the public Sigstore certificate authority.
	DefaultFulcioURL = "https://fulcio.sigstore.dev"
	// DefaultMaxTlogEntry bounds the DSSE envelope Attest uploads to Rekor.
	// cosign uploads the whole envelope (predicate included) and the public
	// Rekor rejects large bodies with an undocumented limit, surfacing only
	// as "giving up after 4 attempt(s)" (sigstore/cosign#3599,
	// sigstore/rekor#2808; multi-MiB SBOMs fail). Above the bound Attest
	// refuses before signing and says what to do instead.
	DefaultMaxTlogEntry = 1 << 20
)

// Option configures Sign, Attest, Verify, VerifyAttestation and
// CopySignatures. Each function documents which options it reads and
// ignores the others, so one option list can serve a whole release.
type Option func(*options)

type options struct {
	remote         []remote.Option
	annotations    map[string]string
	recursive      bool
	tlogUpload     *bool
	rekorURL       string
	identity       string
	maxTlogEntry   int
	key            *Verifier
	certIdentity   string
	certIdentityRE string
	issuer         string
	issuerRE       string
	github         GitHubWorkflow
	ignoreTlog     bool
	ignoreSCT      bool
	trustedRoot    string
}

func makeOptions(ctx context.Context, opts []Option) *options {
	o := &options{maxTlogEntry: DefaultMaxTlogEntry}
	for _, opt := range opts {
		if opt != nil {
			opt(o)
		}
	}
	if o.remote == nil {
		// Anonymous, not authn.DefaultKeychain: the library reads no
		// environment or docker config; the caller passes credentials
		// (publish.RemoteOptions does).
		o.remote = []remote.Option{remote.WithAuth(authn.Anonymous)}
	}
	o.remote = append(o.remote[:len(o.remote):len(o.remote)], remote.WithContext(ctx))
	return o
}

// WithRemoteOptions sets how registries are reached (credentials, transport,
// retries): pass publish.RemoteOptions(ctx, …) to reach registries exactly as
// publishing does. Default: anonymous over remote.DefaultTransport. The
// context of the call is added last, so it wins.
func WithRemoteOptions(opts ...remote.Option) Option {
	return func(o *options) { o.remote = append(o.remote, opts...) }
}

// WithAnnotations adds key=value annotations (cosign sign -a): Sign and
// Attest put them in the signed payload; Verify and VerifyAttestation
// require every one of them to be present with that value.
func WithAnnotations(a map[string]string) Option {
	return func(o *options) {
		if o.annotations == nil {
			o.annotations = map[string]string{}
		}
		for k, v := range a {
			o.annotations[k] = v
		}
	}
}

// WithRecursive makes Sign and Attest also sign every manifest an index
// references (each platform image), as cosign sign --recursive does.
// Default false: only the named digest.
func WithRecursive(b bool) Option { return func(o *options) { o.recursive = b } }

// WithTlogUpload sets whether signatures and attestations are recorded in
// the Rekor transparency log. Default: off for key signers (a release signed
// offline with its own key is verified with that key; uploading would make
// every release depend on rekor.sigstore.dev and publish its digests), always
// on for keyless signers, where it cannot be turned off.
func WithTlogUpload(b bool) Option { return func(o *options) { o.tlogUpload = &b } }

// WithRekorURL sets the Rekor instance used when uploading. Default: the
// keyless signer's KeylessConfig.RekorURL, else DefaultRekorURL.
func WithRekorURL(u string) Option {
	return func(o *options) {
		if u != "" {
			o.rekorURL = u
		}
	}
}

// WithClaimedIdentity sets the docker-reference the signature payload claims
// (cosign sign --sign-container-identity), e.g. the registry repository a
// layout image will be published to. Default: the subject's repository;
// for layouts, LayoutIdentity.
func WithClaimedIdentity(ref string) Option { return func(o *options) { o.identity = ref } }

// WithMaxTlogEntry bounds the attestation envelope Attest uploads to Rekor
// (bytes). Default DefaultMaxTlogEntry; n <= 0 removes the bound (for a
// private Rekor configured with a larger limit).
func WithMaxTlogEntry(n int) Option { return func(o *options) { o.maxTlogEntry = n } }

// WithKey makes Verify and VerifyAttestation accept only signatures made by
// this key. Without it they verify keyless signatures by identity.
func WithKey(v *Verifier) Option { return func(o *options) { o.key = v } }

// WithCertIdentity requires the keyless certificate's subject (an email or
// a URI such as https://github.com/OWNER/REPO/.github/workflows/release.yml@refs/tags/v1.0.0).
func WithCertIdentity(s string) Option { return func(o *options) { o.certIdentity = s } }

// WithCertIdentityRegexp requires the certificate subject to match a
// regular expression (Go syntax, unanchored as in cosign: anchor it).
func WithCertIdentityRegexp(re string) Option { return func(o *options) { o.certIdentityRE = re } }

// WithCertOIDCIssuer requires the certificate's OIDC issuer, e.g.
// https://token.actions.githubusercontent.com.
func WithCertOIDCIssuer(s string) Option { return func(o *options) { o.issuer = s } }

// WithCertOIDCIssuerRegexp requires the issuer to match a regular expression.
func WithCertOIDCIssuerRegexp(re string) Option { return func(o *options) { o.issuerRE = re } }

// GitHubWorkflow are the GitHub Actions claims Fulcio puts in a certificate;
// empty fields are not checked.
type GitHubWorkflow struct {
	Trigger    string // e.g. "push"
	SHA        string // commit
	Name       string // workflow name
	Repository string // "OWNER/REPO"
	Ref        string // e.g. "refs/tags/v1.0.0"
}

// WithGitHubWorkflow requires GitHub workflow claims in the certificate
// (cosign --certificate-github-workflow-*).
func WithGitHubWorkflow(w GitHubWorkflow) Option { return func(o *options) { o.github = w } }

// WithIgnoreTlog skips the transparency-log check (cosign
// --insecure-ignore-tlog): right for key signatures made with tlog upload
// off, which is stevedore's default. Default false.
func WithIgnoreTlog(b bool) Option { return func(o *options) { o.ignoreTlog = b } }

// WithIgnoreSCT skips the certificate transparency check of keyless
// certificates (cosign --insecure-ignore-sct). Default false.
func WithIgnoreSCT(b bool) Option { return func(o *options) { o.ignoreSCT = b } }

// WithTrustedRoot verifies keyless signatures against a Sigstore
// trusted_root.json file instead of fetching the public-good root through
// TUF (cosign --trusted-root): for private Sigstore instances and offline
// verification.
func WithTrustedRoot(path string) Option { return func(o *options) { o.trustedRoot = path } }

// rekor is the Rekor instance entries by s go to.
func (o *options) rekor(s *Signer) string {
	switch {
	case o.rekorURL != "":
		return o.rekorURL
	case s != nil && s.rekorURL != "":
		return s.rekorURL
	}
	return DefaultRekorURL
}
