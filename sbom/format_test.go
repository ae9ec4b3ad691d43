package sbom

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
)

func TestParseFormat(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Format
	}{
		{"spdx-json", SPDXJSON}, {"spdx", SPDXJSON}, {"SPDX-JSON", SPDXJSON},
		{"cyclonedx-json", CycloneDXJSON}, {"cyclonedx", CycloneDXJSON},
		{"syft-json", SyftJSON}, {"syft", SyftJSON}, {" syft ", SyftJSON},
	} {
		got, err := ParseFormat(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseFormat(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "json", "spdx-tag-value", "cyclonedx-xml"} {
		if _, err := ParseFormat(bad); !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("ParseFormat(%q) error = %v, want ErrUnknownFormat", bad, err)
		}
	}
}

func TestFormatMetadata(t *testing.T) {
	want := map[Format][3]string{
		SPDXJSON:      {"spdx-json", "https://spdx.dev/Document", "application/spdx+json"},
		CycloneDXJSON: {"cyclonedx-json", "https://cyclonedx.org/bom", "application/vnd.cyclonedx+json"},
		SyftJSON:      {"syft-json", "https://syft.dev/bom", "application/vnd.syft+json"},
	}
	for _, f := range Formats() {
		got := [3]string{f.String(), f.PredicateType(), f.MediaType()}
		if got != want[f] {
			t.Errorf("%d: got %q, want %q", f, got, want[f])
		}
		if back, err := ParseFormat(f.String()); err != nil || back != f {
			t.Errorf("ParseFormat(%q) = %v, %v", f, back, err)
		}
	}
	if Format(0).PredicateType() != "" || Format(0).valid() {
		t.Error("zero Format should be invalid")
	}
}

func TestFormatText(t *testing.T) {
	var got struct{ Formats []Format }
	if err := json.Unmarshal([]byte(`{"Formats":["spdx","cyclonedx-json","SYFT"]}`), &got); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Formats, Formats()) {
		t.Errorf("unmarshalled %v", got.Formats)
	}
	b, err := json.Marshal(got)
	if err != nil || string(b) != `{"Formats":["spdx-json","cyclonedx-json","syft-json"]}` {
		t.Errorf("marshalled %s, %v", b, err)
	}
	if err := json.Unmarshal([]byte(`["xml"]`), &got.Formats); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("unmarshal of xml = %v", err)
	}
	if _, err := json.Marshal(Format(9)); err == nil {
		t.Error("marshal of Format(9) succeeded")
	}
}
