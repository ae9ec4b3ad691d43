package sign

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	slsa "github.com/in-toto/attestation/go/predicates/provenance/v1"
	intoto "github.com/in-toto/attestation/go/v1"
	"github.com/sigstore/cosign/v2/pkg/cosign/attestation"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// BuildType identifies stevedore's Dockerfile builds in SLSA provenance
// (buildDefinition.buildType). It is the address of the document that
// describes every field of externalParameters, internalParameters and
// resolvedDependencies, so a verifier can read what a predicate claims.
const BuildType = "https://github.com/sreevishnu07/stevedore/blob/main/docs/buildtypes/dockerfile-v1.md"

// Redacted replaces a build-arg value that looks like a secret: the name
// stays, so the provenance says the argument was set, and the value never
// enters a signed, public document.
const Redacted = "[REDACTED]"

// ProvenanceInput describes one build for Provenance. BuilderID is
// required; the rest is recorded when set.
type ProvenanceInput struct {
	// BuilderID names what ran the build and is trusted to say so: in
	// GitHub Actions the workflow, e.g.
	// "https://github.com/OWNER/REPO/.github/workflows/release.yml@refs/tags/v1.2.0".
	BuilderID string
	// BuilderVersion is stevedore's version (runDetails.builder.version).
	BuilderVersion string
	// SourceRepo is the repository URL (https://github.com/OWNER/REPO; it
	// is normalised by SourceURI), Commit the full commit hash built and
	// Ref the git ref ("refs/tags/v1.2.0").
	SourceRepo, Commit, Ref string
	// Dockerfile is the Dockerfile's path in the repository and
	// DockerfileDigest its sha256.
	Dockerfile       string
	DockerfileDigest v1.Hash
	// Target is the stage built (--target), Platforms the platforms.
	Target    string
	Platforms []string
	// BuildArgs are the --build-arg values. Values that look like secrets
	// (see SecretBuildArg) are replaced by Redacted.
	BuildArgs map[string]string
	// BaseImages are the images FROM resolved to, by digest.
	BaseImages []name.Digest
	// BasePlatforms gives the platform ("linux/arm64") a base image digest
	// ("sha256:…") was pulled for, recorded as its purl's platform
	// qualifier: one base of a multi-platform build resolves to one
	// digest per platform.
	BasePlatforms map[string]string
	// InvocationID identifies the run (e.g. GitHub's run attempt URL).
	InvocationID string
	// StartedOn and FinishedOn are recorded when not zero; leave them zero
	// for a byte-reproducible predicate.
	StartedOn, FinishedOn time.Time
	// Dirty: the build read files not committed at Commit (a release with
	// --allow-dirty), recorded as internalParameters.dirty so that a
	// consumer of the provenance sees the image is not the commit's.
	Dirty bool
}

// Provenance builds a SLSA provenance v1 predicate for Attest with
// PredicateSLSA1 on the in-toto attestation types, checked with their
// Validate. The fields are described in docs/buildtypes/dockerfile-v1.md
// (BuildType). The output is deterministic: the same input gives the same
// bytes, so an attestation already made is recognised on a re-run.
func Provenance(in ProvenanceInput) ([]byte, error) {
	p, err := provenanceProto(in)
	if err != nil {
		return nil, err
	}
	return canonicalJSON(p)
}

func provenanceProto(in ProvenanceInput) (*slsa.Provenance, error) {
	if in.BuilderID == "" {
		return nil, errors.New("making provenance: BuilderID is required (e.g. the workflow URI)")
	}
	source, err := SourceURI(in.SourceRepo)
	if err != nil {
		return nil, fmt.Errorf("making provenance: %w", err)
	}
	ext := map[string]any{}
	var deps []*intoto.ResourceDescriptor
	set := func(k, v string) {
		if v != "" {
			ext[k] = v
		}
	}
	set("source", source)
	set("commit", in.Commit)
	set("ref", in.Ref)
	set("dockerfile", in.Dockerfile)
	if in.DockerfileDigest.Hex != "" {
		ext["dockerfileDigest"] = map[string]any{in.DockerfileDigest.Algorithm: in.DockerfileDigest.Hex}
	}
	set("target", in.Target)
	if len(in.Platforms) > 0 {
		ext["platforms"] = strList(in.Platforms)
	}
	if len(in.BuildArgs) > 0 {
		args, redacted := RedactBuildArgs(in.BuildArgs)
		m := map[string]any{}
		for k, v := range args {
			m[k] = v
		}
		ext["buildArgs"] = m
		if len(redacted) > 0 {
			ext["redactedBuildArgs"] = strList(redacted)
		}
	}
	if source != "" || in.Commit != "" {
		d := &intoto.ResourceDescriptor{Name: "source"}
		if source != "" {
			d.Uri = "git+" + source
			if in.Ref != "" {
				d.Uri += "@" + in.Ref
			}
		}
		d.Digest = commitDigest(in.Commit)
		deps = append(deps, d)
	}
	var bases []*intoto.ResourceDescriptor
	for _, b := range in.BaseImages {
		h, err := v1.NewHash(b.DigestStr())
		if err != nil {
			return nil, fmt.Errorf("making provenance: base image %s: %w", b, err)
		}
		bases = append(bases, &intoto.ResourceDescriptor{
			Uri:    DockerPURL(b, in.BasePlatforms[b.DigestStr()]),
			Name:   b.Context().Name() + "@" + b.DigestStr(),
			Digest: map[string]string{h.Algorithm: h.Hex},
		})
	}
	sort.Slice(bases, func(i, j int) bool { return bases[i].Uri < bases[j].Uri })
	bases = slices.CompactFunc(bases, func(a, b *intoto.ResourceDescriptor) bool { return a.Uri == b.Uri })
	deps = append(deps, bases...)

	extStruct, err := structpb.NewStruct(ext)
	if err != nil {
		return nil, fmt.Errorf("making provenance: external parameters: %w", err)
	}
	p := &slsa.Provenance{
		BuildDefinition: &slsa.BuildDefinition{
			BuildType:            BuildType,
			ExternalParameters:   extStruct,
			ResolvedDependencies: deps,
		},
		RunDetails: &slsa.RunDetails{Builder: &slsa.Builder{Id: in.BuilderID}},
	}
	if in.Dirty {
		p.BuildDefinition.InternalParameters, _ = structpb.NewStruct(map[string]any{"dirty": true})
	}
	if in.BuilderVersion != "" {
		p.RunDetails.Builder.Version = map[string]string{"stevedore": in.BuilderVersion}
	}
	m := &slsa.BuildMetadata{InvocationId: in.InvocationID}
	if !in.StartedOn.IsZero() {
		m.StartedOn = timestamppb.New(in.StartedOn.UTC())
	}
	if !in.FinishedOn.IsZero() {
		m.FinishedOn = timestamppb.New(in.FinishedOn.UTC())
	}
	if !proto.Equal(m, &slsa.BuildMetadata{}) {
		p.RunDetails.Metadata = m
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("making provenance: %w", err)
	}
	return p, nil
}

// ProvenanceStatement wraps a provenance predicate (Provenance's output)
// in an in-toto Statement v1 about subject, checked with the in-toto
// types' Validate: the document Attest signs for PredicateSLSA1.
func ProvenanceStatement(subject name.Digest, predicate []byte) ([]byte, error) {
	h, err := v1.NewHash(subject.DigestStr())
	if err != nil {
		return nil, fmt.Errorf("making the provenance statement for %s: %w", subject, err)
	}
	return provenanceStatement(subject.Context().String(), h, predicate)
}

func provenanceStatement(subjectName string, h v1.Hash, predicate []byte) ([]byte, error) {
	fail := func(err error) ([]byte, error) {
		return nil, fmt.Errorf("making the provenance statement for %s@%s: %w", subjectName, h, err)
	}
	var p slsa.Provenance
	if err := lenient.Unmarshal(predicate, &p); err != nil {
		return fail(fmt.Errorf("the predicate is not SLSA provenance v1: %w", err))
	}
	if err := p.Validate(); err != nil {
		return fail(err)
	}
	var pred structpb.Struct
	if err := protojson.Unmarshal(predicate, &pred); err != nil {
		return fail(err)
	}
	st := &intoto.Statement{
		Type:          intoto.StatementTypeUri,
		Subject:       []*intoto.ResourceDescriptor{{Name: subjectName, Digest: map[string]string{h.Algorithm: h.Hex}}},
		PredicateType: predicateURIs[PredicateSLSA1],
		Predicate:     &pred,
	}
	if err := st.Validate(); err != nil {
		return fail(err)
	}
	return canonicalJSON(st)
}

// canonicalJSON encodes m with protojson, then again with encoding/json:
// protojson varies its whitespace on purpose, and the attestation must be
// byte-identical across runs (keys sorted, no spaces).
func canonicalJSON(m proto.Message) ([]byte, error) {
	b, err := protojson.Marshal(m)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	// Not HTML-escaped: a purl's "&" stays "&" for whoever reads the JSON.
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n")), nil
}

// commitDigest is a git commit's digest set: gitCommit (the in-toto name)
// and sha1 (what GitHub's own provenance uses) for a SHA-1 repository.
func commitDigest(c string) map[string]string {
	switch len(c) {
	case 0:
		return nil
	case 40:
		return map[string]string{"gitCommit": c, "sha1": c}
	default:
		// A SHA-256 repository: gitCommit is defined as 40 hex digits.
		return map[string]string{"gitCommitSha256": c}
	}
}

// DockerPURL is a base image as a package URL
// (pkg:docker/NAMESPACE/NAME@sha256%3A…), with the qualifiers platform
// (when not "") and repository_url (for registries other than Docker Hub),
// in the sorted order the purl spec asks for.
func DockerPURL(d name.Digest, platform string) string {
	repo := d.Context()
	// purl percent-encodes the version's ":" (sha256%3A…), as packageurl-go does.
	u := "pkg:docker/" + repo.RepositoryStr() + "@" + strings.ReplaceAll(d.DigestStr(), ":", "%3A")
	var q []string
	if platform != "" {
		q = append(q, "platform="+url.QueryEscape(platform))
	}
	if reg := repo.RegistryStr(); reg != name.DefaultRegistry {
		q = append(q, "repository_url="+url.QueryEscape(reg))
	}
	if len(q) > 0 {
		u += "?" + strings.Join(q, "&")
	}
	return u
}

// SourceURI normalises a repository address for the provenance: SSH and
// scp-like remotes (git@github.com:o/r.git) become https, ".git" is
// dropped, and credentials (https://user:token@host/…) are removed, since
// the document is signed and public. "" stays "".
func SourceURI(repo string) (string, error) {
	repo = strings.TrimSpace(repo)
	if repo == "" {
		return "", nil
	}
	if !strings.Contains(repo, "://") {
		// scp-like: [user@]host:path
		at := strings.LastIndex(repo, "@")
		host, path, ok := strings.Cut(repo[at+1:], ":")
		if !ok || host == "" || path == "" || strings.Contains(host, "/") {
			return "", fmt.Errorf("source repository %q: not a URL (give an https:// address)", redactURL(repo))
		}
		repo = "https://" + host + "/" + strings.TrimPrefix(path, "/")
	}
	u, err := url.Parse(repo)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("source repository %q: not a URL (give an https:// address)", redactURL(repo))
	}
	switch u.Scheme {
	case "ssh", "git", "git+ssh", "http", "https", "git+https":
		u.Scheme = "https"
	default:
		return "", fmt.Errorf("source repository %q: scheme %s is not a remote repository", redactURL(repo), u.Scheme)
	}
	u.User = nil
	if u.Port() == "22" {
		u.Host = u.Hostname()
	}
	u.RawQuery, u.Fragment, u.RawFragment = "", "", ""
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), ".git")
	u.RawPath = ""
	return u.String(), nil
}

// redactURL keeps credentials out of error messages too.
func redactURL(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		if at := strings.LastIndex(s, "@"); at > i {
			return s[:i+3] + "REDACTED@" + s[at+1:]
		}
	}
	return s
}

func strList(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// statementPayload is the in-toto statement Attest signs. SLSA provenance
// v1 gets a Statement v1 built and validated with the in-toto types; the
// other predicate types keep the statement cosign attest makes, so their
// attestations stay byte-identical to cosign's.
func statementPayload(predicateType, uri string, predicate []byte, h v1.Hash, repo string) ([]byte, error) {
	if uri == predicateURIs[PredicateSLSA1] {
		return provenanceStatement(repo, h, predicate)
	}
	st, err := attestation.GenerateStatement(attestation.GenerateOpts{
		Predicate: bytes.NewReader(predicate),
		Type:      generatorType(predicateType),
		Digest:    h.Hex,
		Repo:      repo,
	})
	if err != nil {
		return nil, fmt.Errorf("making in-toto statement: %w", err)
	}
	return json.Marshal(st)
}

// checkPredicate validates a SLSA provenance v1 predicate with the in-toto
// types before it is signed in a bundle; other types are only JSON.
func checkPredicate(uri string, predicate []byte) error {
	if uri != predicateURIs[PredicateSLSA1] {
		return nil
	}
	var p slsa.Provenance
	if err := lenient.Unmarshal(predicate, &p); err != nil {
		return fmt.Errorf("the predicate is not SLSA provenance v1: %w", err)
	}
	return p.Validate()
}

// lenient reads a predicate for validation only: fields beyond SLSA v1's
// (extensions some builders add) are not a reason to refuse it, and the
// statement carries the predicate as given.
var lenient = protojson.UnmarshalOptions{DiscardUnknown: true}
