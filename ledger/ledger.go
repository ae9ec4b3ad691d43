// Package ledger owns the release record, dist/release.json: what a release
// or a publish put where, by digest, and how to check it. `stevedore
// release` and `stevedore publish` write it; `stevedore pin --from` reads it.
// It is one schema, described for other tools by ledger.schema.json at the
// repository root, and versioned by its schemaVersion field.
//
// The package is a leaf: it knows JSON and files, not registries or
// signatures, so every package that records or reads a release can use it.
package ledger

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/sreevishnu07/stevedore/internal/atomicfile"
)

// SchemaVersion is the version of the schema this package writes. Adding an
// optional field keeps it; a change that an older reader would misread (a
// field renamed, removed or given another meaning) increments it.
//
// Version 2 renamed the image's imageid to image_id (the snake_case every
// other key follows); version 1 ledgers still read, their imageid taken as
// image_id, and are written back as version 2.
const SchemaVersion = 2

// ErrSchema means a ledger is not one this stevedore can read: not JSON,
// the wrong shape, or a newer schemaVersion.
var ErrSchema = errors.New("unreadable ledger")

// Ledger is the release record.
type Ledger struct {
	// SchemaVersion is SchemaVersion when written; ledgers written before
	// the field existed read as version 1, which they are.
	SchemaVersion int    `json:"schemaVersion"`
	Version       string `json:"version"`
	GitTag        string `json:"git_tag,omitempty"`
	Commit        string `json:"commit,omitempty"`
	Snapshot      bool   `json:"snapshot,omitempty"`
	// Dirty: the build context held changes not committed at Commit, so
	// the images are not the commit's (see --allow-dirty).
	Dirty  bool    `json:"dirty,omitempty"`
	Images []Image `json:"images"`
}

// Image is one released image.
type Image struct {
	Name string `json:"name"`
	// Digest is the image's or, for several platforms, the index's digest.
	Digest       string        `json:"digest"`
	MediaType    string        `json:"mediaType,omitempty"`
	Platforms    []Platform    `json:"platforms"`
	Destinations []Destination `json:"destinations"`
	SBOMs        []File        `json:"sboms,omitempty"`
	// Verify holds ready-to-run commands that check the release.
	Verify []string `json:"verify,omitempty"`
	// Signer is how the release signed the image, so that `stevedore
	// publish` can write Verify commands for the destinations it copies the
	// signatures to. Absent when the image was not signed, and in ledgers
	// written before the field existed.
	Signer *Signer `json:"signer,omitempty"`
	// ImageID is build-push-action's imageid: the config digest of a
	// single-platform image, the index digest of several (as buildx's
	// --iidfile).
	ImageID string `json:"image_id,omitempty"`
	// Labels are the config labels and Annotations the manifest (and
	// index) annotations the image was given.
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Signer is what checks an image's signatures: a public key, or a keyless
// identity and issuer (each exact or a regular expression) with the trusted
// root they chain to. It never holds a private key.
type Signer struct {
	// Key is the public key's path (or KMS reference), as the verify
	// commands name it.
	Key            string `json:"key,omitempty"`
	Identity       string `json:"identity,omitempty"`
	IdentityRegexp string `json:"identity_regexp,omitempty"`
	Issuer         string `json:"issuer,omitempty"`
	IssuerRegexp   string `json:"issuer_regexp,omitempty"`
	// TrustedRoot is the Sigstore trusted root file the commands pass with
	// --trusted-root, "" for the public Sigstore's.
	TrustedRoot string `json:"trusted_root,omitempty"`
	// Format is how the signatures were stored: legacy, bundle or both.
	Format string `json:"format"`
	// Attestations are the attestations the Verify commands check.
	Attestations []Attestation `json:"attestations,omitempty"`
}

// Attestation is one attestation made: its predicate type (a URI) and the
// digest it is attached to (the image's, or one platform's).
type Attestation struct {
	PredicateType string `json:"predicate_type"`
	Digest        string `json:"digest"`
}

// Platform is one platform's image of a release.
type Platform struct {
	Platform string `json:"platform"`
	Digest   string `json:"digest"`
}

// Destination is one place the image was published: Ref is
// REPOSITORY@sha256:… (or oci:PATH@sha256:…), Tags the tags moved to it.
type Destination struct {
	Ref          string   `json:"ref"`
	Tags         []string `json:"tags"`
	Signature    string   `json:"signature,omitempty"`
	Attestations []string `json:"attestations,omitempty"`
	// Format is how the signatures and attestations were stored there:
	// legacy (the Signature and Attestations tags), bundle (Sigstore
	// bundles as OCI referrers of Ref) or both.
	Format string `json:"format,omitempty"`
}

// File is a file the release wrote, with its digest.
type File struct {
	Path     string `json:"path"`
	Format   string `json:"format"`
	Platform string `json:"platform,omitempty"`
	Digest   string `json:"digest"`
}

// Read reads the ledger at path.
func Read(path string) (*Ledger, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading ledger %s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse decodes a ledger; name is used in errors. Fields it does not know
// are ignored, so a ledger that gained an optional field still reads.
func Parse(name string, data []byte) (*Ledger, error) {
	var l Ledger
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("parsing ledger %s: %w: %w", name, ErrSchema, err)
	}
	switch {
	case l.SchemaVersion == 0:
		l.SchemaVersion = 1 // written before schemaVersion existed
	case l.SchemaVersion < 0 || l.SchemaVersion > SchemaVersion:
		return nil, fmt.Errorf("parsing ledger %s: %w: schemaVersion %d is newer than this stevedore reads (%d): upgrade stevedore, or write the ledger again with this one",
			name, ErrSchema, l.SchemaVersion, SchemaVersion)
	}
	if l.SchemaVersion == 1 {
		// Version 1 spelled image_id "imageid".
		var v1 struct {
			Images []struct {
				ImageID string `json:"imageid"`
			} `json:"images"`
		}
		if err := json.Unmarshal(data, &v1); err != nil {
			return nil, fmt.Errorf("parsing ledger %s: %w: %w", name, ErrSchema, err)
		}
		for i := range l.Images {
			if l.Images[i].ImageID == "" && i < len(v1.Images) {
				l.Images[i].ImageID = v1.Images[i].ImageID
			}
		}
	}
	return &l, nil
}

// Encode returns l as written: indented JSON at SchemaVersion, lists never
// null.
func Encode(l *Ledger) ([]byte, error) {
	// A copy, so that encoding never changes the caller's ledger.
	c := *l
	c.SchemaVersion = SchemaVersion
	c.Images = append([]Image{}, l.Images...)
	for i := range c.Images {
		img := &c.Images[i]
		img.Platforms = nonNil(img.Platforms)
		img.Destinations = append([]Destination{}, img.Destinations...)
		for j := range img.Destinations {
			img.Destinations[j].Tags = nonNil(img.Destinations[j].Tags)
		}
	}
	data, err := json.MarshalIndent(&c, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// Write writes l to path atomically: a reader never sees half a ledger, and
// a failed write leaves the previous one.
func Write(path string, l *Ledger) error {
	data, err := Encode(l)
	if err != nil {
		return fmt.Errorf("writing ledger %s: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("writing ledger %s: %w", path, err)
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
