package sign

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	slsa "github.com/in-toto/attestation/go/predicates/provenance/v1"
	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/*.golden.json")

// Secrets of the shapes the redaction rule knows, built at run time so
// that no scanner mistakes this file for a leak.
var (
	fakeGitHubToken = "ghp_" + strings.Repeat("A1b2", 9)
	fakeAWSKey      = "AKIA" + strings.Repeat("Q", 16)
)

func fixedInput() ProvenanceInput {
	alpine, _ := name.NewDigest("alpine@sha256:" + strings.Repeat("1", 64))
	ghcr, _ := name.NewDigest("ghcr.io/o/base@sha256:" + strings.Repeat("3", 64))
	return ProvenanceInput{
		BuilderID:        "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.0.0",
		BuilderVersion:   "0.3.0",
		SourceRepo:       "https://x-access-token:hunter2@github.com/o/r.git",
		Commit:           strings.Repeat("a", 40),
		Ref:              "refs/tags/v1.0.0",
		Dockerfile:       "build/Dockerfile",
		DockerfileDigest: v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("2", 64)},
		Target:           "runtime",
		Platforms:        []string{"linux/amd64", "linux/arm64"},
		BuildArgs: map[string]string{
			"VERSION": "1.0.0", "GITHUB_TOKEN": fakeGitHubToken, "MIRROR": "https://u:p4ss@mirror.example/",
			"AWS_ID": fakeAWSKey, "NPM_AUTH": "x",
		},
		BaseImages:    []name.Digest{ghcr, alpine, alpine},
		BasePlatforms: map[string]string{ghcr.DigestStr(): "linux/arm64"},
		InvocationID:  "https://github.com/o/r/actions/runs/42/attempts/1",
		StartedOn:     time.Unix(1700000000, 0),
		FinishedOn:    time.Unix(1700000060, 0),
		Dirty:         true,
	}
}

// The predicate for a fixed input, field by field: a change to it is a
// change to the documented build type (docs/buildtypes/dockerfile-v1.md).
func TestProvenanceGolden(t *testing.T) {
	p, err := Provenance(fixedInput())
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Provenance(fixedInput())
	if !bytes.Equal(p, again) {
		t.Fatal("not deterministic")
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, p, "", "  "); err != nil {
		t.Fatal(err)
	}
	pretty.WriteByte('\n')
	golden := filepath.Join("testdata", "provenance.golden.json")
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./sign -run TestProvenanceGolden -update)", err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Errorf("predicate differs from %s:\n%s", golden, pretty.Bytes())
	}
}

// The predicate and its statement parse as the in-toto types and pass
// their validation, which is what other verifiers run.
func TestProvenanceValidatesAsInToto(t *testing.T) {
	p, err := Provenance(fixedInput())
	if err != nil {
		t.Fatal(err)
	}
	var pred slsa.Provenance
	if err := (protojson.UnmarshalOptions{}).Unmarshal(p, &pred); err != nil {
		t.Fatalf("not SLSA provenance v1 (unknown fields are refused): %v", err)
	}
	if err := pred.Validate(); err != nil {
		t.Fatal(err)
	}
	if pred.GetBuildDefinition().GetBuildType() != BuildType || pred.GetRunDetails().GetMetadata().GetInvocationId() == "" {
		t.Errorf("predicate = %v", &pred)
	}
	subject, _ := name.NewDigest("ghcr.io/o/app@sha256:" + strings.Repeat("4", 64))
	st, err := ProvenanceStatement(subject, p)
	if err != nil {
		t.Fatal(err)
	}
	var s intoto.Statement
	if err := protojson.Unmarshal(st, &s); err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.GetType() != "https://in-toto.io/Statement/v1" || s.GetPredicateType() != "https://slsa.dev/provenance/v1" ||
		s.GetSubject()[0].GetName() != "ghcr.io/o/app" || s.GetSubject()[0].GetDigest()["sha256"] != strings.Repeat("4", 64) {
		t.Errorf("statement = %s", st)
	}
	// A predicate the in-toto validation refuses is not signed.
	if _, err := ProvenanceStatement(subject, []byte(`{"buildDefinition":{"buildType":"x"},"runDetails":{"builder":{"id":"y"}}}`)); err == nil ||
		!strings.Contains(err.Error(), "externalParameters required") {
		t.Errorf("no externalParameters: err = %v", err)
	}
	// Extensions beyond SLSA v1's fields are kept, not refused.
	ext := []byte(`{"buildDefinition":{"buildType":"x","externalParameters":{"a":1},"vendorField":{"b":2}},"runDetails":{"builder":{"id":"y"}}}`)
	if st, err := ProvenanceStatement(subject, ext); err != nil || !bytes.Contains(st, []byte(`"vendorField":{"b":2}`)) {
		t.Errorf("extension field: %s %v", st, err)
	}
	if _, err := Provenance(ProvenanceInput{}); err == nil {
		t.Error("no BuilderID accepted")
	}
}

// Secret-looking build-args keep their name, lose their value, and are
// listed as redacted; credentials in the remote URL are dropped.
func TestProvenanceNeverHoldsSecrets(t *testing.T) {
	p, err := Provenance(fixedInput())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fakeGitHubToken, fakeAWSKey, "hunter2", "x-access-token", "p4ss"} {
		if bytes.Contains(p, []byte(s)) {
			t.Errorf("the predicate holds %q:\n%s", s, p)
		}
	}
	var got struct {
		BuildDefinition struct {
			ExternalParameters struct {
				Source    string            `json:"source"`
				BuildArgs map[string]string `json:"buildArgs"`
				Redacted  []string          `json:"redactedBuildArgs"`
			} `json:"externalParameters"`
		} `json:"buildDefinition"`
	}
	if err := json.Unmarshal(p, &got); err != nil {
		t.Fatal(err)
	}
	ext := got.BuildDefinition.ExternalParameters
	if ext.Source != "https://github.com/o/r" {
		t.Errorf("source = %q", ext.Source)
	}
	if ext.BuildArgs["VERSION"] != "1.0.0" || ext.BuildArgs["GITHUB_TOKEN"] != Redacted || ext.BuildArgs["MIRROR"] != Redacted {
		t.Errorf("buildArgs = %v", ext.BuildArgs)
	}
	if strings.Join(ext.Redacted, ",") != "AWS_ID,GITHUB_TOKEN,MIRROR,NPM_AUTH" {
		t.Errorf("redactedBuildArgs = %v", ext.Redacted)
	}
}

func TestSecretBuildArg(t *testing.T) {
	for _, c := range []struct {
		name, value string
		secret      bool
	}{
		{"VERSION", "1.2.3", false},
		{"GO_VERSION", "1.26", false},
		{"BASE", "docker.io/library/alpine:3.20", false},
		{"PROXY", "http://proxy.example:3128", false},
		{"COMMIT", strings.Repeat("a", 40), false},
		{"GITHUB_TOKEN", "", true},
		{"github_token", "x", true},
		{"NPM_AUTH_TOKEN", "x", true},
		{"DB_PASSWORD", "x", true},
		{"SSH_KEY", "x", true},
		{"API_SECRET", "x", true},
		{"CREDENTIALS", "x", true},
		{"X", fakeGitHubToken, true},
		{"X", "github_pat_" + strings.Repeat("a1B2", 12), true},
		{"X", "glpat-" + strings.Repeat("a", 20), true},
		{"X", fakeAWSKey, true},
		{"X", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", true},
		{"X", "-----BEGIN OPENSSH PRIVATE KEY-----\nabc", true},
		{"X", "https://user:pw@registry.example/v2", true},
		{"X", "https://user@registry.example/v2", false},
	} {
		if got := SecretBuildArg(c.name, c.value); got != c.secret {
			t.Errorf("SecretBuildArg(%q, %q) = %v, want %v", c.name, c.value, got, c.secret)
		}
	}
}

func TestSourceURI(t *testing.T) {
	for in, want := range map[string]string{
		"":                                    "",
		"https://github.com/o/r":              "https://github.com/o/r",
		"https://github.com/o/r.git":          "https://github.com/o/r",
		"https://user:tok@github.com/o/r.git": "https://github.com/o/r",
		"https://oauth2:glpat-x@gitlab.com/g/s/p": "https://gitlab.com/g/s/p",
		"git@github.com:o/r.git":                  "https://github.com/o/r",
		"ssh://git@github.com:22/o/r.git":         "https://github.com/o/r",
		"ssh://git@git.example:2222/o/r":          "https://git.example:2222/o/r",
		"http://git.example/o/r/":                 "https://git.example/o/r",
	} {
		got, err := SourceURI(in)
		if err != nil || got != want {
			t.Errorf("SourceURI(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"/srv/git/r.git", "file:///srv/git/r", "https://u:secretpw@"} {
		_, err := SourceURI(bad)
		if err == nil {
			t.Errorf("SourceURI(%q) accepted", bad)
		} else if strings.Contains(err.Error(), "secretpw") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}

func TestDockerPURL(t *testing.T) {
	h := "sha256:" + strings.Repeat("1", 64)
	for ref, want := range map[string]string{
		"alpine@" + h:                  "pkg:docker/library/alpine@sha256%3A" + strings.Repeat("1", 64),
		"ghcr.io/o/base@" + h:          "pkg:docker/o/base@sha256%3A" + strings.Repeat("1", 64) + "?repository_url=ghcr.io",
		"127.0.0.1:5000/base/img@" + h: "pkg:docker/base/img@sha256%3A" + strings.Repeat("1", 64) + "?repository_url=127.0.0.1%3A5000",
	} {
		d, err := name.NewDigest(ref)
		if err != nil {
			t.Fatal(err)
		}
		if got := DockerPURL(d, ""); got != want {
			t.Errorf("DockerPURL(%s) = %s, want %s", ref, got, want)
		}
	}
	d, _ := name.NewDigest("ghcr.io/o/base@" + h)
	if got, want := DockerPURL(d, "linux/arm64/v8"), "pkg:docker/o/base@sha256%3A"+strings.Repeat("1", 64)+"?platform=linux%2Farm64%2Fv8&repository_url=ghcr.io"; got != want {
		t.Errorf("with a platform: %s, want %s", got, want)
	}
}

// A build from uncommitted files says so; a clean one has no
// internalParameters at all.
func TestProvenanceDirty(t *testing.T) {
	in := ProvenanceInput{BuilderID: "https://example.com/builder", Commit: strings.Repeat("a", 40)}
	clean, _ := Provenance(in)
	if strings.Contains(string(clean), "internalParameters") || strings.Contains(string(clean), "metadata") {
		t.Errorf("clean build: %s", clean)
	}
	in.Dirty = true
	dirty, err := Provenance(in)
	if err != nil || !strings.Contains(string(dirty), `"internalParameters":{"dirty":true}`) {
		t.Errorf("dirty build: %s %v", dirty, err)
	}
}

// docs/buildtypes/dockerfile-v1.md, which BuildType points at, names every
// field the predicate can hold.
func TestBuildTypeDocumentsEveryField(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "buildtypes", "dockerfile-v1.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(BuildType, "/docs/buildtypes/dockerfile-v1.md") || !bytes.Contains(doc, []byte("`"+BuildType+"`")) {
		t.Errorf("BuildType %s does not name the document, or the document does not give it", BuildType)
	}
	p, err := Provenance(fixedInput())
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(p, &v); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				// Build-arg names and digest algorithms are data, not fields.
				if !strings.HasSuffix(path, ".buildArgs") && !strings.HasSuffix(path, "digest") && !strings.HasSuffix(path, "Digest") && !strings.HasSuffix(path, ".version") {
					if !bytes.Contains(doc, []byte("`"+k+"`")) && !bytes.Contains(doc, []byte("."+k+"`")) && !bytes.Contains(doc, []byte("`"+k+".")) && !bytes.Contains(doc, []byte("."+k+".")) {
						t.Errorf("%s.%s is not described in the build type document", path, k)
					}
				}
				walk(path+"."+k, c)
			}
		case []any:
			for _, c := range v {
				walk(path+"[]", c)
			}
		}
	}
	walk("predicate", v)
}
