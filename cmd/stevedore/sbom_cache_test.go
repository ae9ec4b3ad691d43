package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// A second `stevedore sbom` of the same image is served from --cache-dir,
// says so, and writes the same bytes.
func TestSBOMCacheDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layout")
	registrytest.WriteLayout(t, dir, "v1", registrytest.Image(t, 1, 128))
	cache, out := t.TempDir(), t.TempDir()
	var docs [2][]byte
	for i := range docs {
		file := filepath.Join(out, []string{"a", "b"}[i]+".spdx.json")
		r := stevedore(t, nil, "", "sbom", "oci:"+dir+":v1", "--cache-dir", cache, "--output", file)
		if r.code != 0 {
			t.Fatalf("run %d: exit %d: %s", i+1, r.code, r.stderr)
		}
		if fromCache := strings.Contains(r.stderr, "from cache"); fromCache != (i == 1) {
			t.Errorf("run %d: stderr %q: from cache = %v", i+1, r.stderr, fromCache)
		}
		var err error
		if docs[i], err = os.ReadFile(file); err != nil {
			t.Fatal(err)
		}
	}
	if string(docs[0]) != string(docs[1]) {
		t.Error("the cached SBOM differs from the first")
	}
}
