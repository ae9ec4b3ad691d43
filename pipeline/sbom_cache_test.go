package pipeline

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/event"
	"github.com/sreevishnu07/stevedore/sbom"
)

type sbomDetails []string

func (d *sbomDetails) Emit(ev event.Event) {
	e, ok := ev.(event.Phase)
	if !ok {
		return
	}
	if e.Step == StepSBOM && e.Done {
		*d = append(*d, e.Detail)
	}
}

// An unchanged re-run takes its SBOM from the cache and writes the same
// document.
func TestRerunTakesSBOMFromCache(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "Dockerfile"), "FROM scratch\nCOPY a.txt /\n")
	writeFile(t, filepath.Join(dir, "a.txt"), "a")
	signer, _ := testSigner(t)
	var details sbomDetails
	var digests []string
	for range 2 {
		opts := releaseOpts(t, dir, signer, WithProgress(&details), WithSBOMOptions(sbom.WithCacheDir(filepath.Join(dir, ".cache"))))
		rep, err := Release(context.Background(), DefaultConfig(), opts...)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range rep.Ledger.Images[0].SBOMs {
			digests = append(digests, f.Digest)
		}
	}
	if len(details) != 2 || strings.Contains(details[0], "cache") || !strings.Contains(details[1], "from the SBOM cache") {
		t.Errorf("sbom step details = %q, want the second from the cache", details)
	}
	if len(digests) != 2 || digests[0] != digests[1] {
		t.Errorf("SBOM digests = %v, want the same document twice", digests)
	}
}
