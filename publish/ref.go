package publish

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// LayoutPrefix marks a reference to an OCI image layout directory.
const LayoutPrefix = "oci:"

// Reference is either a registry reference or an OCI image layout on disk.
// The zero value is not valid; use ParseReference.
type Reference struct {
	// registry form
	ref name.Reference
	// insecure: parsed with WithInsecureRegistries naming its host, so the
	// transport guard lets it use plain HTTP.
	insecure bool
	// explicitTag is the tag written in the text; name.ParseReference fills
	// in "latest", which must not become a tag we move.
	explicitTag string
	// layout form
	layout bool
	path   string
	tag    string
	digest v1.Hash
	pinned bool
}

var (
	tagRE    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	digestRE = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
)

// ParseReference parses a registry reference or an oci: layout reference.
//
// Registry references follow docker: "alpine" is
// index.docker.io/library/alpine:latest, a missing tag means latest, and
// "repo:tag@sha256:…" keeps both (the digest wins when reading).
//
// Layout references are "oci:PATH", "oci:PATH:TAG" or "oci:PATH@sha256:…".
// A ':' or '@' after the last '/' of PATH starts the tag or digest, so the
// directory holding the layout may contain ':' only in earlier path elements
// ("oci:/mnt/c:/out/app:v1" is path "/mnt/c:/out/app", tag "v1").
//
// A single-element name containing a '.' ("ghcr.io", "registry.local:5000")
// is rejected as a registry without a repository, although docker would read
// it as a Docker Hub repository: write docker.io/library/NAME for that.
//
// Errors wrap ErrBadReference and never panic.
func ParseReference(s string, opts ...RefOption) (Reference, error) {
	o := makeOptions(opts)
	if strings.HasPrefix(s, LayoutPrefix) {
		return parseLayout(s)
	}
	if strings.TrimSpace(s) == "" {
		return Reference{}, newKindError(ErrBadReference, nil, "parsing reference: empty reference")
	}
	if s != strings.TrimSpace(s) {
		return Reference{}, newKindError(ErrBadReference, nil, "parsing reference %q: surrounding whitespace", s)
	}
	nameOnly, _, _ := strings.Cut(s, "@")
	if !strings.Contains(nameOnly, "/") {
		host, _, _ := strings.Cut(nameOnly, ":")
		if strings.Contains(host, ".") || host == "localhost" {
			return Reference{}, newKindError(ErrBadReference, nil, "parsing reference %q: registry without a repository (write %s/OWNER/NAME)", s, nameOnly)
		}
	}
	if strings.HasSuffix(nameOnly, "/") {
		return Reference{}, newKindError(ErrBadReference, nil, "parsing reference %q: missing repository name after '/'", s)
	}
	if _, d, ok := strings.Cut(s, "@"); ok && !digestRE.MatchString(d) {
		return Reference{}, newKindError(ErrBadReference, nil, "parsing reference %q: digest must be sha256: followed by 64 lowercase hex characters", s)
	}
	var nopts []name.Option
	insecure := insecureAllowed(registryOf(nameOnly), o.insecure)
	if insecure {
		// Only lets ggcr try HTTP; the transport guard decides what is allowed.
		nopts = append(nopts, name.Insecure)
	}
	ref, err := name.ParseReference(s, nopts...)
	if err != nil {
		msg := fmt.Sprintf("parsing reference %q", s)
		repo := nameOnly
		if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
			repo = repo[:i]
		}
		if repo != strings.ToLower(repo) {
			// Only the path must be lowercase; a registry host may not be.
			host, path := "", repo
			if i := strings.Index(repo, "/"); i >= 0 && looksLikeHost(repo[:i]) {
				host, path = repo[:i+1], repo[i+1:]
			}
			if path != strings.ToLower(path) {
				return Reference{}, newKindError(ErrBadReference, err, "%s: repository must be lowercase (try %q)", msg, host+strings.ToLower(path)+strings.TrimPrefix(s, repo))
			}
		}
		return Reference{}, newKindError(ErrBadReference, err, "%s", msg)
	}
	r := Reference{ref: ref, insecure: insecure}
	if i := strings.LastIndex(nameOnly, ":"); i > strings.LastIndex(nameOnly, "/") {
		r.explicitTag = nameOnly[i+1:]
	}
	return r, nil
}

func parseLayout(s string) (Reference, error) {
	rest := strings.TrimPrefix(s, LayoutPrefix)
	if rest == "" {
		return Reference{}, newKindError(ErrBadReference, nil, "parsing reference %q: missing layout path (write oci:PATH[:TAG|@sha256:…])", s)
	}
	dir, last := "", rest
	if i := strings.LastIndex(rest, "/"); i >= 0 {
		dir, last = rest[:i+1], rest[i+1:]
	}
	r := Reference{layout: true}
	if i := strings.Index(last, "@"); i >= 0 {
		d := last[i+1:]
		if !digestRE.MatchString(d) {
			return Reference{}, newKindError(ErrBadReference, nil, "parsing reference %q: digest must be sha256: followed by 64 lowercase hex characters", s)
		}
		h, err := v1.NewHash(d)
		if err != nil {
			return Reference{}, newKindError(ErrBadReference, err, "parsing reference %q", s)
		}
		r.digest, r.pinned = h, true
		last = last[:i]
		if strings.Contains(last, ":") {
			return Reference{}, newKindError(ErrBadReference, nil, "parsing reference %q: use either :TAG or @DIGEST on a layout, not both", s)
		}
	} else if i := strings.Index(last, ":"); i >= 0 {
		r.tag = last[i+1:]
		last = last[:i]
		if !tagRE.MatchString(r.tag) {
			return Reference{}, newKindError(ErrBadReference, nil, "parsing reference %q: tag %q must be 1-128 of [A-Za-z0-9_.-], not starting with '.' or '-'", s, r.tag)
		}
	}
	p := dir + last
	if p == "" {
		return Reference{}, newKindError(ErrBadReference, nil, "parsing reference %q: missing layout path", s)
	}
	r.path = filepath.Clean(p)
	return r, nil
}

func looksLikeHost(s string) bool {
	return strings.ContainsAny(s, ".:") || s == "localhost"
}

// registryOf returns the registry host of an unparsed name, "" for Docker Hub.
func registryOf(nameOnly string) string {
	first, _, ok := strings.Cut(nameOnly, "/")
	if ok && looksLikeHost(first) {
		return first
	}
	return ""
}

// String is the canonical form: "oci:PATH[:TAG|@DIGEST]" for layouts, and for
// registries the fully qualified name with Docker Hub spelled "docker.io"
// (as docker, containerd and Kubernetes print it), e.g.
// "docker.io/library/alpine:3". ParseReference(r.String()) names the same
// thing.
func (r Reference) String() string {
	switch {
	case r.layout:
		s := LayoutPrefix + r.path
		if r.pinned {
			return s + "@" + r.digest.String()
		}
		if r.tag != "" {
			return s + ":" + r.tag
		}
		return s
	case r.ref == nil:
		return ""
	}
	if d, ok := r.ref.(name.Digest); ok && r.explicitTag != "" {
		return displayName(d.Context().Name()) + ":" + r.explicitTag + "@" + d.DigestStr()
	}
	if _, ok := r.ref.(name.Tag); ok && r.explicitTag == "" {
		// No tag was written: do not show go-containerregistry's implicit
		// "latest", which stevedore never moves on its own.
		return displayName(r.ref.Context().Name())
	}
	return displayName(r.ref.Name())
}

func displayName(s string) string {
	if rest, ok := strings.CutPrefix(s, name.DefaultRegistry+"/"); ok {
		return "docker.io/" + rest
	}
	return s
}

// IsLayout reports whether r names an OCI image layout directory.
func (r Reference) IsLayout() bool { return r.layout }

// Path is the layout directory ("" for registry references).
func (r Reference) Path() string { return r.path }

// Tag is the tag written in the reference, "" if none. Reading a registry
// reference without tag or digest uses "latest", as docker does, but
// Publish never applies a tag that was not written.
func (r Reference) Tag() string {
	if r.layout {
		return r.tag
	}
	return r.explicitTag
}

// Digest is the digest the reference is pinned to, if any.
func (r Reference) Digest() (v1.Hash, bool) {
	if r.layout {
		return r.digest, r.pinned
	}
	if d, ok := r.ref.(name.Digest); ok {
		h, err := v1.NewHash(d.DigestStr())
		return h, err == nil
	}
	return v1.Hash{}, false
}

// Registry is the go-containerregistry reference (nil for layouts).
func (r Reference) Registry() name.Reference { return r.ref }

// Repository is the registry repository (zero for layouts).
func (r Reference) Repository() name.Repository {
	if r.ref == nil {
		return name.Repository{}
	}
	return r.ref.Context()
}

// pinnedTo returns a display form of the repository or layout pinned to h:
// "REPOSITORY@sha256:…" or "oci:PATH@sha256:…".
func (r Reference) pinnedTo(h v1.Hash) string {
	if r.layout {
		return LayoutPrefix + r.path + "@" + h.String()
	}
	return displayName(r.ref.Context().Name()) + "@" + h.String()
}

func (r Reference) valid() error {
	if !r.layout && r.ref == nil {
		return newKindError(ErrBadReference, nil, "using reference: zero Reference (use ParseReference)")
	}
	return nil
}
