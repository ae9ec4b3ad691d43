package publish

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Sentinel errors, matched with errors.Is, so the CLI can map them to exit
// codes without parsing messages.
var (
	// ErrBadReference: the reference text cannot be parsed, or names more
	// than one thing (an oci: layout holding several manifests and no tag).
	ErrBadReference = errors.New("bad reference")
	// ErrNotFound: the image, tag, repository or layout does not exist.
	ErrNotFound = errors.New("not found")
	// ErrDenied: the registry refused the credentials or the operation (401/403).
	ErrDenied = errors.New("access denied")
	// ErrInsecure: plain HTTP was needed for a host that is not allowed to use it.
	ErrInsecure = errors.New("plain HTTP not allowed")
	// ErrInvalid: the registry rejected the content (400: manifest or digest invalid).
	ErrInvalid = errors.New("content rejected")
	// ErrUnavailable: the registry kept failing with transient errors after all retries.
	ErrUnavailable = errors.New("registry unavailable")
)

// kindError attaches a sentinel to an underlying cause without putting the
// sentinel's text in the message twice.
type kindError struct {
	kind  error
	msg   string
	cause error
}

func (e *kindError) Error() string {
	if e.cause == nil {
		return e.msg
	}
	return e.msg + ": " + e.cause.Error()
}

func (e *kindError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

func newKindError(kind error, cause error, format string, args ...any) error {
	return &kindError{kind: kind, msg: fmt.Sprintf(format, args...), cause: cause}
}

// classify wraps err (from go-containerregistry or our transport) as
// "verb-ing object: cause", adding a sentinel and the likely fix when the
// registry's answer tells us what went wrong. repo is the repository the
// operation targeted (nil for layouts).
func classify(verb string, object string, repo *name.Repository, err error) error {
	if err == nil {
		return nil
	}
	var ke *kindError
	if errors.As(err, &ke) {
		// Already classified deeper down (e.g. ErrInsecure from the transport).
		return fmt.Errorf("%s %s: %w", verb, object, err)
	}
	var te *transport.Error
	if !errors.As(err, &te) {
		if errors.Is(err, errRetriesExhausted) {
			return newKindError(ErrUnavailable, err, "%s %s", verb, object)
		}
		return fmt.Errorf("%s %s: %w", verb, object, err)
	}
	reg, where := "", ""
	if repo != nil {
		reg = repo.RegistryStr()
		if r := repo.RepositoryStr(); r != "" {
			where = fmt.Sprintf(" for repository %q", r)
		}
	}
	switch {
	case te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden || hasCode(te, transport.UnauthorizedErrorCode, transport.DeniedErrorCode):
		return newKindError(ErrDenied, err, "%s %s: %s denied access%s (%s)", verb, object, displayRegistry(reg), where, deniedHint(reg, te.StatusCode))
	case te.StatusCode == http.StatusNotFound || hasCode(te, transport.NameUnknownErrorCode, transport.ManifestUnknownErrorCode, transport.BlobUnknownErrorCode):
		return newKindError(ErrNotFound, err, "%s %s: %s has no such content%s (check the name; some registries also answer 404 when the credentials cannot see the repository)", verb, object, displayRegistry(reg), where)
	case te.StatusCode == http.StatusBadRequest || hasCode(te, transport.ManifestInvalidErrorCode, transport.DigestInvalidErrorCode, transport.SizeInvalidErrorCode, transport.BlobUploadInvalidErrorCode):
		return newKindError(ErrInvalid, err, "%s %s: %s rejected the content%s (the registry may not support this media type, or a blob is missing)", verb, object, displayRegistry(reg), where)
	case te.StatusCode == http.StatusTooManyRequests:
		fix := "wait and re-run (a re-run resumes), or authenticate: anonymous requests get the lowest limits"
		if isDockerHub(reg) {
			fix = "authenticate to Docker Hub (stevedore login docker.io -u USER --password-stdin): anonymous pulls are rate-limited per IP; or wait and re-run, which resumes"
		}
		return newKindError(ErrUnavailable, err, "%s %s: %s rate limited the requests%s and kept doing so after retries (%s)", verb, object, displayRegistry(reg), where, fix)
	case te.Temporary() || te.StatusCode >= 500 || te.StatusCode == http.StatusTooManyRequests || te.StatusCode == http.StatusRequestTimeout:
		return newKindError(ErrUnavailable, err, "%s %s: %s kept failing%s after retries (try again later; a re-run resumes)", verb, object, displayRegistry(reg), where)
	}
	return fmt.Errorf("%s %s: %w", verb, object, err)
}

func hasCode(te *transport.Error, codes ...transport.ErrorCode) bool {
	for _, d := range te.Errors {
		for _, c := range codes {
			if d.Code == c {
				return true
			}
		}
	}
	return false
}

// deniedHint names the usual cause per registry: on GitHub Actions the token
// lacks the permission or the package does not grant the repository access;
// on Docker Hub the access token lacks the write scope.
func deniedHint(registry string, status int) string {
	switch {
	case registry == "ghcr.io":
		return "give the workflow `permissions: packages: write` and, for an existing package, grant this repository write access in the package's \"Manage Actions access\" settings; outside Actions use a token with write:packages"
	case registry == name.DefaultRegistry || registry == "docker.io" || registry == "registry-1.docker.io":
		return "use a Docker Hub access token with Read & Write scope (Account settings → Personal access tokens) and check the repository namespace is yours"
	case status == http.StatusUnauthorized:
		return "the credentials are missing or wrong: stevedore login " + registry + " -u USER --password-stdin (or docker login " + registry + ")"
	default:
		return "the credentials lack push or pull permission on this repository"
	}
}

// displayRegistry prints Docker Hub the way docker does.
func displayRegistry(reg string) string {
	if reg == name.DefaultRegistry {
		return "docker.io"
	}
	if reg == "" {
		return "the registry"
	}
	return reg
}

// redact removes a secret from a message as a last line of defence: the
// registries we talk to do not echo credentials, but proxies and token
// servers are not all well-behaved.
func redact(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	changed := false
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			msg = strings.ReplaceAll(msg, s, "[REDACTED]")
			changed = true
		}
	}
	if !changed {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }

// Unwrap keeps errors.Is working on sentinels; callers printing err.Error()
// get the redacted text.
func (e *redactedError) Unwrap() error { return e.err }
