package sign

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestProvenance(t *testing.T) {
	base, _ := name.NewDigest("docker.io/library/alpine@sha256:" + strings.Repeat("1", 64))
	in := ProvenanceInput{
		BuilderID:        "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.0.0",
		BuilderVersion:   "0.3.0",
		SourceRepo:       "https://github.com/o/r",
		Commit:           strings.Repeat("a", 40),
		Ref:              "refs/tags/v1.0.0",
		Dockerfile:       "build/Dockerfile",
		DockerfileDigest: v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("2", 64)},
		BuildArgs:        map[string]string{"B": "2", "A": "1"},
		BaseImages:       []name.Digest{base},
	}
	p1, err := Provenance(in)
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := Provenance(in)
	if string(p1) != string(p2) {
		t.Fatal("not deterministic")
	}
	var got struct {
		BuildDefinition struct {
			BuildType            string         `json:"buildType"`
			ExternalParameters   map[string]any `json:"externalParameters"`
			ResolvedDependencies []struct {
				URI    string            `json:"uri"`
				Name   string            `json:"name"`
				Digest map[string]string `json:"digest"`
			} `json:"resolvedDependencies"`
		} `json:"buildDefinition"`
		RunDetails struct {
			Builder struct {
				ID string `json:"id"`
			} `json:"builder"`
			Metadata *struct{} `json:"metadata"`
		} `json:"runDetails"`
	}
	if err := json.Unmarshal(p1, &got); err != nil {
		t.Fatal(err)
	}
	bd := got.BuildDefinition
	if bd.BuildType != BuildType || got.RunDetails.Builder.ID != in.BuilderID {
		t.Errorf("buildType/builder = %q/%q", bd.BuildType, got.RunDetails.Builder.ID)
	}
	if len(bd.ResolvedDependencies) != 3 ||
		bd.ResolvedDependencies[0].URI != "git+https://github.com/o/r@refs/tags/v1.0.0" ||
		bd.ResolvedDependencies[0].Digest["gitCommit"] != in.Commit ||
		bd.ResolvedDependencies[1].Name != "build/Dockerfile" ||
		bd.ResolvedDependencies[2].Digest["sha256"] != strings.Repeat("1", 64) {
		t.Errorf("dependencies = %+v", bd.ResolvedDependencies)
	}
	if args, _ := bd.ExternalParameters["buildArgs"].(map[string]any); args["A"] != "1" {
		t.Errorf("external parameters = %v", bd.ExternalParameters)
	}
	if got.RunDetails.Metadata != nil {
		t.Error("metadata without times or invocation")
	}
	in.StartedOn = time.Unix(1700000000, 0)
	p3, _ := Provenance(in)
	if !strings.Contains(string(p3), `"startedOn":"2023-11-14T22:13:20Z"`) {
		t.Errorf("startedOn missing: %s", p3)
	}
	if _, err := Provenance(ProvenanceInput{}); err == nil {
		t.Error("no BuilderID accepted")
	}
}

// A build from uncommitted files says so; a clean one has no
// internalParameters at all.
func TestProvenanceDirty(t *testing.T) {
	in := ProvenanceInput{BuilderID: "https://example.com/builder", Commit: strings.Repeat("a", 40)}
	clean, _ := Provenance(in)
	if strings.Contains(string(clean), "internalParameters") {
		t.Errorf("clean build: %s", clean)
	}
	in.Dirty = true
	dirty, err := Provenance(in)
	if err != nil || !strings.Contains(string(dirty), `"internalParameters":{"dirty":true}`) {
		t.Errorf("dirty build: %s %v", dirty, err)
	}
}
