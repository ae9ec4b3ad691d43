package ledger

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/internal/schematest"
)

const schemaFile = "../ledger.schema.json"

func digest(c byte) string { return "sha256:" + strings.Repeat(string(c), 64) }

// A ledger written before schemaVersion existed (stevedore ≤ 0.x wrote
// exactly this shape) reads as version 1, its imageid as image_id, and is
// written back as version 2.
func TestReadsLedgerWithoutSchemaVersion(t *testing.T) {
	old := `{
  "version": "1.3.0",
  "git_tag": "v1.3.0",
  "commit": "4f1c9a2d6e0b8f3a7c5d9e1b2a4c6e8f0a1b3c5d",
  "images": [{"name": "app", "digest": "` + digest('a') + `", "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "platforms": [{"platform": "linux/amd64", "digest": "` + digest('a') + `"}],
    "destinations": [{"ref": "ghcr.io/acme/app@` + digest('a') + `", "tags": ["1.3.0"]}],
    "sboms": [{"path": "dist/sbom/app-linux-amd64.spdx.json", "format": "spdx-json", "platform": "linux/amd64", "digest": "` + digest('b') + `"}],
    "imageid": "` + digest('c') + `"}]
}`
	l, err := Parse("release.json", []byte(old))
	if err != nil {
		t.Fatal(err)
	}
	if l.SchemaVersion != 1 || l.Version != "1.3.0" || l.Images[0].Destinations[0].Tags[0] != "1.3.0" || l.Images[0].ImageID != digest('c') {
		t.Errorf("parsed %+v", l)
	}
	path := filepath.Join(t.TempDir(), "dist", "release.json")
	if err := Write(path, l); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"schemaVersion": 2,`) || !strings.Contains(string(data), `"image_id": "`+digest('c')+`"`) || strings.Contains(string(data), `"imageid"`) {
		t.Errorf("not written as version 2, with image_id:\n%s", data)
	}
	schematest.Validate(t, schemaFile, data)
	again, err := Read(path)
	l.SchemaVersion = SchemaVersion
	if err != nil || !reflect.DeepEqual(again, l) {
		t.Errorf("round trip: %v\n%+v\n%+v", err, again, l)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	_, err := Parse("dist/release.json", []byte(`{"schemaVersion": 3, "version": "1.0.0", "images": []}`))
	if !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), "dist/release.json") || !strings.Contains(err.Error(), "upgrade stevedore") {
		t.Errorf("err = %v", err)
	}
	if _, err := Parse("x.json", []byte(`{`)); !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), "parsing ledger x.json") {
		t.Errorf("err = %v", err)
	}
	if _, err := Read(filepath.Join(t.TempDir(), "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
}

// Lists are [] when empty, never null, and encoding leaves the caller's
// ledger as it was.
func TestEncodeEmptyLists(t *testing.T) {
	l := &Ledger{Version: "0.0.0-snapshot", Images: []Image{{Name: "a", Digest: digest('a'), Destinations: []Destination{{Ref: "oci:dist/a@" + digest('a')}}}}}
	data, err := Encode(l)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "null") {
		t.Errorf("null in\n%s", data)
	}
	if l.Images[0].Platforms != nil || l.Images[0].Destinations[0].Tags != nil || l.SchemaVersion != 0 {
		t.Error("Encode changed its argument")
	}
	schematest.Validate(t, schemaFile, data)
	empty, _ := Encode(&Ledger{})
	schematest.Validate(t, schemaFile, empty)
}

func TestRecord(t *testing.T) {
	l := &Ledger{Version: "", Images: []Image{{Name: "app", Digest: digest('a'), MediaType: "application/vnd.oci.image.index.v1+json",
		Destinations: []Destination{{Ref: "oci:dist/app@" + digest('a'), Tags: []string{}}}}}}
	// The release's image, published onwards: it joins the image.
	l.Record("ignored", digest('a'), Destination{Ref: "ghcr.io/acme/app@" + digest('a'), Tags: []string{"1.3.0", "latest"}})
	// Again with another tag: no second entry.
	l.Record("ignored", digest('a'), Destination{Ref: "ghcr.io/acme/app@" + digest('a'), Tags: []string{"1.3", "1.3.0"}})
	// Another digest: a new image.
	l.Record("worker", digest('b'), Destination{Ref: "ghcr.io/acme/worker@" + digest('b'), Tags: []string{"2.0.0"}})
	// Another digest under a name the ledger has: not a second "worker".
	if got := l.Record("worker", digest('c'), Destination{Ref: "ghcr.io/acme/worker@" + digest('c'), Tags: []string{"2.0.0"}}); got != digest('b') {
		t.Errorf("Record of another worker digest = %q, want the recorded %s", got, digest('b'))
	}
	if len(l.Images) != 2 || l.Images[0].Name != "app" || l.Images[1].Name != "worker" || len(l.Images[1].Destinations) != 1 {
		t.Fatalf("images %+v", l.Images)
	}
	if d := l.Images[0].Destinations; len(d) != 2 || !slices.Equal(d[1].Tags, []string{"1.3", "1.3.0", "latest"}) {
		t.Errorf("destinations %+v", d)
	}
	if l.Version != "1.3.0" {
		t.Errorf("version %q, want the highest version tag of the first publish", l.Version)
	}
	data, _ := Encode(l)
	schematest.Validate(t, schemaFile, data)
}

// The schema describes exactly the fields the ledger has: a field added to
// the structs without the schema (or the other way round) fails here.
func TestSchemaMatchesStructs(t *testing.T) {
	data, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatal(err)
	}
	defs := schema["$defs"].(map[string]any)
	for what, c := range map[string]struct {
		obj any
		typ reflect.Type
	}{
		"ledger":      {schema, reflect.TypeOf(Ledger{})},
		"image":       {defs["image"], reflect.TypeOf(Image{})},
		"platform":    {defs["platform"], reflect.TypeOf(Platform{})},
		"destination": {defs["destination"], reflect.TypeOf(Destination{})},
		"file":        {defs["file"], reflect.TypeOf(File{})},
	} {
		obj := c.obj.(map[string]any)
		var want, got []string
		for i := range c.typ.NumField() {
			tag, _, _ := strings.Cut(c.typ.Field(i).Tag.Get("json"), ",")
			want = append(want, tag)
		}
		for k := range obj["properties"].(map[string]any) {
			got = append(got, k)
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(want, got) {
			t.Errorf("%s: ledger.schema.json has %v, the Go type has %v: describe every field in the schema", what, got, want)
		}
		if obj["additionalProperties"] != false {
			t.Errorf("%s: additionalProperties must be false, so that the schema test catches a field missing from it", what)
		}
	}
}

// image_id is the key from version 2 on; a version 1 ledger's imageid
// still reads, and in a version 2 ledger imageid is an unknown key.
func TestImageIDKey(t *testing.T) {
	for _, tc := range []struct {
		doc, want string
	}{
		{`{"schemaVersion": 1, "version": "1.0.0", "images": [{"name": "a", "digest": "` + digest('a') + `", "platforms": [], "destinations": [], "imageid": "` + digest('c') + `"}]}`, digest('c')},
		{`{"schemaVersion": 2, "version": "1.0.0", "images": [{"name": "a", "digest": "` + digest('a') + `", "platforms": [], "destinations": [], "image_id": "` + digest('d') + `"}]}`, digest('d')},
		{`{"schemaVersion": 2, "version": "1.0.0", "images": [{"name": "a", "digest": "` + digest('a') + `", "platforms": [], "destinations": [], "imageid": "` + digest('c') + `"}]}`, ""},
	} {
		l, err := Parse("release.json", []byte(tc.doc))
		if err != nil {
			t.Fatal(err)
		}
		if got := l.Images[0].ImageID; got != tc.want {
			t.Errorf("%s: image_id %q, want %q", tc.doc, got, tc.want)
		}
		data, err := Encode(l)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), `"imageid"`) {
			t.Errorf("written with imageid:\n%s", data)
		}
		schematest.Validate(t, schemaFile, data)
	}
}
