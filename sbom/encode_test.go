package sbom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current output")

func generateFixture(t *testing.T) *SBOM {
	t.Helper()
	s, err := Generate(context.Background(), viaLayout(t, fixtureImage(t)), WithRepository(fixtureRepository(t)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func encode(t *testing.T, s *SBOM, f Format) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := s.Encode(&buf, f); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestEncodeGolden compares each encoding of the fixture image with its golden
// file; run with -update after a deliberate change (or a syft upgrade) and
// review the diff.
func TestEncodeGolden(t *testing.T) {
	s := generateFixture(t)
	for _, f := range Formats() {
		t.Run(f.String(), func(t *testing.T) {
			got := encode(t, s, f)
			golden := filepath.Join("testdata", f.String()+".golden.json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./sbom -run TestEncodeGolden -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s (run with -update and review the diff):\n%s", f, golden, firstDiff(got, want))
			}
		})
	}
}

// TestEncodeDeterministic catalogs the same image twice, from two separate
// layouts, and wants byte-identical documents.
func TestEncodeDeterministic(t *testing.T) {
	a, b := generateFixture(t), generateFixture(t)
	for _, f := range Formats() {
		if x, y := encode(t, a, f), encode(t, b, f); !bytes.Equal(x, y) {
			t.Errorf("%s: two runs differ:\n%s", f, firstDiff(x, y))
		}
	}
}

func TestEncodeNamesImage(t *testing.T) {
	s := generateFixture(t)
	ref := s.Name()
	digest := s.Digest.String()
	if !strings.HasPrefix(ref, fixtureRepo+"@sha256:") {
		t.Fatalf("Name() = %q", ref)
	}

	var spdx struct {
		Name         string `json:"name"`
		Namespace    string `json:"documentNamespace"`
		SPDXVersion  string `json:"spdxVersion"`
		CreationInfo struct {
			Created string `json:"created"`
		} `json:"creationInfo"`
		Packages []struct {
			Name, VersionInfo string
		} `json:"packages"`
	}
	mustUnmarshal(t, encode(t, s, SPDXJSON), &spdx)
	if spdx.SPDXVersion != "SPDX-2.3" || spdx.Name != ref || spdx.CreationInfo.Created != "2024-01-02T03:04:05Z" {
		t.Errorf("SPDX header = %q %q %q", spdx.SPDXVersion, spdx.Name, spdx.CreationInfo.Created)
	}
	if !strings.HasPrefix(spdx.Namespace, "https://anchore.com/syft/image/") {
		t.Errorf("SPDX namespace = %q", spdx.Namespace)
	}
	var sawImage bool
	for _, p := range spdx.Packages {
		sawImage = sawImage || (p.Name == fixtureRepo && p.VersionInfo == digest)
	}
	if !sawImage {
		t.Errorf("SPDX has no package for the image %s", ref)
	}

	var cdx struct {
		SpecVersion  string `json:"specVersion"`
		SerialNumber string `json:"serialNumber"`
		Metadata     struct {
			Timestamp string `json:"timestamp"`
			Component struct {
				Name, Version string
			} `json:"component"`
		} `json:"metadata"`
	}
	mustUnmarshal(t, encode(t, s, CycloneDXJSON), &cdx)
	if cdx.SpecVersion != "1.6" || cdx.Metadata.Timestamp != "2024-01-02T03:04:05Z" ||
		cdx.Metadata.Component.Name != fixtureRepo || cdx.Metadata.Component.Version != digest ||
		!strings.HasPrefix(cdx.SerialNumber, "urn:uuid:") {
		t.Errorf("CycloneDX metadata = %+v", cdx)
	}

	var syft struct {
		Source struct {
			Name, Version string
			Metadata      struct {
				ImageID        string   `json:"imageID"`
				ManifestDigest string   `json:"manifestDigest"`
				RepoDigests    []string `json:"repoDigests"`
			} `json:"metadata"`
		} `json:"source"`
	}
	mustUnmarshal(t, encode(t, s, SyftJSON), &syft)
	m := syft.Source.Metadata
	if syft.Source.Name != fixtureRepo || syft.Source.Version != digest || m.ManifestDigest != digest ||
		m.ImageID != s.Config.String() || len(m.RepoDigests) != 1 || m.RepoDigests[0] != ref {
		t.Errorf("syft source = %+v", syft.Source)
	}
}

func TestEncodeSchemas(t *testing.T) {
	s := generateFixture(t)
	for _, tc := range []struct {
		f        Format
		schema   string
		required string
	}{
		{SPDXJSON, "http://spdx.org/rdf/terms/2.3", "spdxVersion"},
		{CycloneDXJSON, "http://cyclonedx.org/schema/bom-1.6.schema.json", "specVersion"},
		{SyftJSON, "anchore.io/schema/syft/json/16.1.13/document", "artifacts"},
	} {
		t.Run(tc.f.String(), func(t *testing.T) {
			sch := compileSchema(t, tc.schema)
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(encode(t, s, tc.f)))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(doc); err != nil {
				t.Errorf("%s does not validate against %s:\n%v", tc.f, tc.schema, err)
			}
			// and the schema is really applied: a document missing a
			// required top-level field must fail
			obj := doc.(map[string]any)
			delete(obj, tc.required)
			if err := sch.Validate(obj); err == nil {
				t.Errorf("%s without %q validated: the schema checks nothing", tc.f, tc.required)
			}
		})
	}
}

// compileSchema loads every schema in testdata/schema under its own $id, so
// that references between them (CycloneDX → SPDX licenses, JSF) resolve
// offline, and compiles the one named id with format assertions on.
func compileSchema(t *testing.T, id string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	files, err := filepath.Glob(filepath.Join("testdata", "schema", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no schemas in testdata/schema: %v", err)
	}
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(r)
		r.Close()
		if err != nil {
			t.Fatalf("reading %s: %v", f, err)
		}
		sid, _ := doc.(map[string]any)["$id"].(string)
		if err := c.AddResource(sid, doc); err != nil {
			t.Fatalf("adding %s: %v", f, err)
		}
	}
	sch, err := c.Compile(id)
	if err != nil {
		t.Fatalf("compiling %s: %v", id, err)
	}
	return sch
}

func TestEncodeErrors(t *testing.T) {
	s := generateFixture(t)
	if err := s.Encode(&bytes.Buffer{}, Format(42)); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("Encode(Format(42)) = %v, want ErrUnknownFormat", err)
	}
	if err := (&SBOM{}).Encode(&bytes.Buffer{}, SPDXJSON); err == nil {
		t.Error("Encode of an empty SBOM succeeded")
	}
}

func mustUnmarshal(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// firstDiff shows the first differing line, enough to see what moved
// without dumping whole documents into the log.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + strconv.Itoa(i+1) + ":\n  got:  " + gl + "\n  want: " + wl
		}
	}
	return "(same lines, different bytes)"
}
