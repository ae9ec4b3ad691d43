package sign

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// BuildType identifies stevedore's Dockerfile builds in SLSA provenance
// (buildDefinition.buildType); its externalParameters are "source",
// "ref", "dockerfile" and "buildArgs".
const BuildType = "https://github.com/sreevishnu07/stevedore/buildtypes/dockerfile/v1"

// ProvenanceInput describes one build for Provenance. BuilderID is
// required; the rest is recorded when set.
type ProvenanceInput struct {
	// BuilderID names what ran the build and is trusted to say so: in
	// GitHub Actions the workflow, e.g.
	// "https://github.com/OWNER/REPO/.github/workflows/release.yml@refs/tags/v1.2.0".
	BuilderID string
	// BuilderVersion is stevedore's version (runDetails.builder.version).
	BuilderVersion string
	// SourceRepo is the repository URL (https://github.com/OWNER/REPO),
	// Commit the full commit hash built and Ref the git ref ("refs/tags/v1.2.0").
	SourceRepo, Commit, Ref string
	// Dockerfile is the Dockerfile's path in the repository and
	// DockerfileDigest its sha256.
	Dockerfile       string
	DockerfileDigest v1.Hash
	// BuildArgs are the --build-arg values. Never put secrets here: the
	// predicate is public wherever the image is.
	BuildArgs map[string]string
	// BaseImages are the images FROM resolved to, by digest.
	BaseImages []name.Digest
	// InvocationID identifies the run (e.g. GitHub's run URL).
	InvocationID string
	// StartedOn and FinishedOn are recorded when not zero; leave them zero
	// for a byte-reproducible predicate.
	StartedOn, FinishedOn time.Time
	// Dirty: the build read files not committed at Commit (a release with
	// --allow-dirty), recorded as internalParameters.dirty so that a
	// consumer of the provenance sees the image is not the commit's.
	Dirty bool
}

// SLSA provenance v1 (https://slsa.dev/spec/v1.0/provenance) as JSON.
type (
	slsaProvenance struct {
		BuildDefinition slsaBuildDefinition `json:"buildDefinition"`
		RunDetails      slsaRunDetails      `json:"runDetails"`
	}
	slsaBuildDefinition struct {
		BuildType            string                   `json:"buildType"`
		ExternalParameters   map[string]any           `json:"externalParameters"`
		InternalParameters   map[string]any           `json:"internalParameters,omitempty"`
		ResolvedDependencies []slsaResourceDescriptor `json:"resolvedDependencies,omitempty"`
	}
	slsaResourceDescriptor struct {
		URI    string            `json:"uri,omitempty"`
		Name   string            `json:"name,omitempty"`
		Digest map[string]string `json:"digest,omitempty"`
	}
	slsaRunDetails struct {
		Builder  slsaBuilder   `json:"builder"`
		Metadata *slsaMetadata `json:"metadata,omitempty"`
	}
	slsaBuilder struct {
		ID      string            `json:"id"`
		Version map[string]string `json:"version,omitempty"`
	}
	slsaMetadata struct {
		InvocationID string     `json:"invocationId,omitempty"`
		StartedOn    *time.Time `json:"startedOn,omitempty"`
		FinishedOn   *time.Time `json:"finishedOn,omitempty"`
	}
)

// Provenance builds a SLSA provenance v1 predicate for Attest with
// PredicateSLSA1. The source becomes externalParameters.source and a
// resolved dependency "git+REPO@REF" with its gitCommit; the Dockerfile and
// each base image become resolved dependencies with their sha256.
func Provenance(in ProvenanceInput) ([]byte, error) {
	if in.BuilderID == "" {
		return nil, errors.New("making provenance: BuilderID is required (e.g. the workflow URI)")
	}
	ext := map[string]any{}
	var deps []slsaResourceDescriptor
	if in.SourceRepo != "" {
		ext["source"] = in.SourceRepo
		uri := "git+" + in.SourceRepo
		if in.Ref != "" {
			uri += "@" + in.Ref
			ext["ref"] = in.Ref
		}
		d := slsaResourceDescriptor{URI: uri}
		if in.Commit != "" {
			d.Digest = map[string]string{"gitCommit": in.Commit}
		}
		deps = append(deps, d)
	}
	if in.Dockerfile != "" {
		ext["dockerfile"] = in.Dockerfile
	}
	if in.DockerfileDigest.Hex != "" {
		n := in.Dockerfile
		if n == "" {
			n = "Dockerfile"
		}
		deps = append(deps, slsaResourceDescriptor{Name: n, Digest: map[string]string{in.DockerfileDigest.Algorithm: in.DockerfileDigest.Hex}})
	}
	if len(in.BuildArgs) > 0 {
		ext["buildArgs"] = maps.Clone(in.BuildArgs)
	}
	for _, b := range in.BaseImages {
		h, err := v1.NewHash(b.DigestStr())
		if err != nil {
			return nil, fmt.Errorf("making provenance: base image %s: %w", b, err)
		}
		deps = append(deps, slsaResourceDescriptor{URI: b.String(), Digest: map[string]string{h.Algorithm: h.Hex}})
	}
	p := slsaProvenance{
		BuildDefinition: slsaBuildDefinition{BuildType: BuildType, ExternalParameters: ext, ResolvedDependencies: deps},
		RunDetails:      slsaRunDetails{Builder: slsaBuilder{ID: in.BuilderID}},
	}
	if in.Dirty {
		p.BuildDefinition.InternalParameters = map[string]any{"dirty": true}
	}
	if in.BuilderVersion != "" {
		p.RunDetails.Builder.Version = map[string]string{"stevedore": in.BuilderVersion}
	}
	if in.InvocationID != "" || !in.StartedOn.IsZero() || !in.FinishedOn.IsZero() {
		m := &slsaMetadata{InvocationID: in.InvocationID}
		if !in.StartedOn.IsZero() {
			t := in.StartedOn.UTC()
			m.StartedOn = &t
		}
		if !in.FinishedOn.IsZero() {
			t := in.FinishedOn.UTC()
			m.FinishedOn = &t
		}
		p.RunDetails.Metadata = m
	}
	return json.Marshal(p)
}
