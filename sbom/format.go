package sbom

import (
	"errors"
	"fmt"
	"strings"
)

// Format is an SBOM encoding that Encode can write.
type Format int

// The encodings stevedore writes. Each is JSON, because every one of them is
// meant to become the predicate of an in-toto attestation.
const (
	// SPDXJSON is SPDX 2.3 JSON.
	SPDXJSON Format = iota + 1
	// CycloneDXJSON is CycloneDX 1.6 JSON.
	CycloneDXJSON
	// SyftJSON is syft's own lossless JSON, which grype reads without loss.
	SyftJSON
)

// Formats lists every Format in a stable order (for help text and loops).
func Formats() []Format { return []Format{SPDXJSON, CycloneDXJSON, SyftJSON} }

// In-toto predicate types. SPDX and CycloneDX use the URIs cosign and
// in-toto-golang agree on; syft has no registered one, so SyftJSON uses the URI
// syft's attest command used for it before it moved to cosign's generic type.
const (
	PredicateSPDX      = "https://spdx.dev/Document"
	PredicateCycloneDX = "https://cyclonedx.org/bom"
	PredicateSyft      = "https://syft.dev/bom"
)

// ErrUnknownFormat is returned by ParseFormat for a name it does not know.
var ErrUnknownFormat = errors.New("unknown SBOM format")

// ParseFormat reads a format name: spdx-json, cyclonedx-json or syft-json, or
// the aliases spdx, cyclonedx and syft. Case is ignored.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "spdx-json", "spdx":
		return SPDXJSON, nil
	case "cyclonedx-json", "cyclonedx":
		return CycloneDXJSON, nil
	case "syft-json", "syft":
		return SyftJSON, nil
	}
	return 0, fmt.Errorf("parsing SBOM format %q: %w (want spdx-json, cyclonedx-json or syft-json)", s, ErrUnknownFormat)
}

// String returns the canonical name, which ParseFormat accepts.
func (f Format) String() string {
	switch f {
	case SPDXJSON:
		return "spdx-json"
	case CycloneDXJSON:
		return "cyclonedx-json"
	case SyftJSON:
		return "syft-json"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// PredicateType is the in-toto predicate type of an attestation carrying a
// document in this format.
func (f Format) PredicateType() string {
	switch f {
	case SPDXJSON:
		return PredicateSPDX
	case CycloneDXJSON:
		return PredicateCycloneDX
	case SyftJSON:
		return PredicateSyft
	}
	return ""
}

// MediaType is the IANA (or vendor) media type of a document in this format,
// for OCI artifacts and HTTP uploads.
func (f Format) MediaType() string {
	switch f {
	case SPDXJSON:
		return "application/spdx+json"
	case CycloneDXJSON:
		return "application/vnd.cyclonedx+json"
	case SyftJSON:
		return "application/vnd.syft+json"
	}
	return ""
}

// Extension is a conventional file name suffix for the format.
func (f Format) Extension() string {
	switch f {
	case SPDXJSON:
		return ".spdx.json"
	case CycloneDXJSON:
		return ".cdx.json"
	case SyftJSON:
		return ".syft.json"
	}
	return ".json"
}

// MarshalText writes the canonical name, so a Format reads and writes as
// text in configuration files and JSON.
func (f Format) MarshalText() ([]byte, error) {
	if !f.valid() {
		return nil, fmt.Errorf("encoding SBOM format: %w: %d", ErrUnknownFormat, int(f))
	}
	return []byte(f.String()), nil
}

// UnmarshalText accepts what ParseFormat accepts.
func (f *Format) UnmarshalText(b []byte) error {
	v, err := ParseFormat(string(b))
	if err != nil {
		return err
	}
	*f = v
	return nil
}

func (f Format) valid() bool { return f >= SPDXJSON && f <= SyftJSON }
