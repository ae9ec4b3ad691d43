package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

func TestSBOMLayoutIndexPerPlatform(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "image")
	h := registrytest.WriteLayout(t, dir, "v1", registrytest.Index(t, 2, 1, 128))
	out := t.TempDir()
	r := stevedore(t, nil, "", "sbom", "oci:"+dir+"@"+h.String(),
		"--format", "spdx-json", "--output", filepath.Join(out, "sbom.spdx.json"),
		"--format", "cyclonedx-json", "--output", filepath.Join(out, "sbom.cdx.json"))
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, f := range []string{"sbom-linux-amd64.spdx.json", "sbom-linux-arm64-v8.spdx.json", "sbom-linux-amd64.cdx.json", "sbom-linux-arm64-v8.cdx.json"} {
		b, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Errorf("%s: %v (stderr: %s)", f, err, r.stderr)
			continue
		}
		if !json.Valid(b) {
			t.Errorf("%s is not JSON", f)
		}
	}
	if r.stdout != "" {
		t.Errorf("stdout = %q", r.stdout)
	}
	// Several documents never go to stdout.
	r = stevedore(t, nil, "", "sbom", "oci:"+dir, "--output", "-")
	if r.code != 2 {
		t.Errorf("index to stdout: exit %d: %s", r.code, r.stderr)
	}
	r = stevedore(t, nil, "", "sbom", "oci:"+dir, "--format", "spdx-json", "--output", "a", "--output", "b")
	if r.code != 2 {
		t.Errorf("outputs without formats: exit %d: %s", r.code, r.stderr)
	}
}

func TestSBOMImageToStdout(t *testing.T) {
	repo, h := pushed(t, registrytest.Image(t, 1, 128))
	r := stevedore(t, nil, "", "sbom", repo+"@"+h.String())
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var doc struct {
		SPDXVersion string `json:"spdxVersion"`
		Name        string `json:"name"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || doc.SPDXVersion != "SPDX-2.3" || !strings.Contains(r.stdout, h.Hex) {
		t.Errorf("doc %+v, %v\n%s", doc, err, r.stdout[:min(len(r.stdout), 400)])
	}
	if r := stevedore(t, nil, "", "sbom", repo+"@"+h.String(), "--format", "nope"); r.code != 2 {
		t.Errorf("bad format: exit %d", r.code)
	}
}

func TestWithPlatform(t *testing.T) {
	for in, want := range map[string]string{
		"sbom.spdx.json": "sbom-linux-arm64-v8.spdx.json",
		"out/x.json":     "out/x-linux-arm64-v8.json",
		"d.v1/sbom":      "d.v1/sbom-linux-arm64-v8",
	} {
		if got := withPlatform(in, "linux/arm64/v8"); got != want {
			t.Errorf("withPlatform(%q) = %q, want %q", in, got, want)
		}
	}
}
