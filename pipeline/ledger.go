package pipeline

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/sreevishnu07/stevedore/internal/atomicfile"
)

// Ledger is the release record (dist/release.json): what was released, by
// digest, and how to check it. `stevedore pin --from` reads its images.
type Ledger struct {
	Version  string        `json:"version"`
	GitTag   string        `json:"git_tag,omitempty"`
	Commit   string        `json:"commit,omitempty"`
	Snapshot bool          `json:"snapshot,omitempty"`
	Images   []LedgerImage `json:"images"`
}

// LedgerImage is one released image.
type LedgerImage struct {
	Name string `json:"name"`
	// Digest is the image's or, for several platforms, the index's digest.
	Digest       string              `json:"digest"`
	MediaType    string              `json:"mediaType"`
	Platforms    []LedgerPlatform    `json:"platforms"`
	Destinations []LedgerDestination `json:"destinations"`
	SBOMs        []LedgerFile        `json:"sboms,omitempty"`
	// Verify holds ready-to-run commands that check the release.
	Verify []string `json:"verify,omitempty"`
	// ImageID is build-push-action's imageid: the config digest of a
	// single-platform image, the index digest of several (as buildx's
	// --iidfile).
	ImageID string `json:"imageid,omitempty"`
	// Labels are the config labels and Annotations the manifest (and
	// index) annotations the image was given.
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// LedgerPlatform is one platform's image of a release.
type LedgerPlatform struct {
	Platform string `json:"platform"`
	Digest   string `json:"digest"`
}

// LedgerDestination is one place the image was published: ref is
// REPOSITORY@sha256:… (or oci:PATH@sha256:…), tags the tags moved to it.
type LedgerDestination struct {
	Ref          string   `json:"ref"`
	Tags         []string `json:"tags"`
	Signature    string   `json:"signature,omitempty"`
	Attestations []string `json:"attestations,omitempty"`
}

// LedgerFile is a file the release wrote, with its digest.
type LedgerFile struct {
	Path     string `json:"path"`
	Format   string `json:"format"`
	Platform string `json:"platform,omitempty"`
	Digest   string `json:"digest"`
}

// WriteLedger writes l to path atomically: a reader never sees half a
// ledger, and a failed write leaves the previous one.
func WriteLedger(path string, l *Ledger) error {
	data, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return fmt.Errorf("writing ledger %s: %w", path, err)
	}
	if err := writeFileAtomic(path, append(data, '\n')); err != nil {
		return fmt.Errorf("writing ledger %s: %w", path, err)
	}
	return nil
}

// ReadLedger reads a ledger written by WriteLedger.
func ReadLedger(path string) (*Ledger, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading ledger %s: %w", path, err)
	}
	var l Ledger
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("reading ledger %s: %w", path, err)
	}
	return &l, nil
}

func writeFileAtomic(path string, data []byte) error {
	return atomicfile.WriteFile(path, data, 0o600)
}
