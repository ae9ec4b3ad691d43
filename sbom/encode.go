package sbom

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/CycloneDX/cyclonedx-go"
	"github.com/anchore/syft/syft/format/common/cyclonedxhelpers"
	"github.com/anchore/syft/syft/format/common/spdxhelpers"
	"github.com/anchore/syft/syft/format/syftjson"
	"github.com/google/uuid"
	"github.com/spdx/tools-golang/convert"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"
)

// Encode writes the SBOM to w in the given format: indented JSON ending in a
// newline. The same SBOM always encodes to the same bytes.
//
// Syft's own encoders stamp the wall clock and a random UUID into SPDX and
// CycloneDX documents and cannot be told otherwise, so Encode builds the same
// format models through syft's exported converters and fixes those two values
// before writing, exactly as syft's encoders would otherwise write them.
func (s *SBOM) Encode(w io.Writer, format Format) error {
	if s == nil || (s.doc == nil && s.encoded == nil) {
		return errors.New("encoding SBOM: empty SBOM (use Generate)")
	}
	if b, ok := s.encoded[format]; ok {
		if _, err := w.Write(b); err != nil {
			return fmt.Errorf("writing %s SBOM of %s: %w", format, s.Name(), err)
		}
		return nil
	}
	if s.doc == nil {
		return fmt.Errorf("encoding SBOM of %s: %w: %v", s.Name(), ErrUnknownFormat, format)
	}
	return s.encode(w, format)
}

func (s *SBOM) encode(w io.Writer, format Format) error {
	var err error
	switch format {
	case SPDXJSON:
		err = s.encodeSPDX(w)
	case CycloneDXJSON:
		err = s.encodeCycloneDX(w)
	case SyftJSON:
		err = s.encodeSyft(w)
	default:
		return fmt.Errorf("encoding SBOM of %s: %w: %v", s.Name(), ErrUnknownFormat, format)
	}
	if err != nil {
		return fmt.Errorf("encoding %s SBOM of %s: %w", format, s.Name(), err)
	}
	return nil
}

func (s *SBOM) encodeSPDX(w io.Writer) error {
	latest := spdxhelpers.ToFormatModel(*s.doc)
	if latest == nil {
		return errors.New("converting to SPDX: no document")
	}
	latest.DocumentNamespace = s.spdxNamespace(latest.DocumentNamespace)
	// The document names the image by digest (repo@sha256:…), not by the
	// bare repository, which a later push could make mean another image.
	latest.DocumentName = s.Name()
	if latest.CreationInfo != nil {
		latest.CreationInfo.Created = s.Created.Format(time.RFC3339)
	}
	// the same conversion syft's spdxjson encoder applies for version 2.3
	var doc v2_3.Document
	if err := convert.Document(latest, &doc); err != nil {
		return fmt.Errorf("converting to SPDX 2.3: %w", err)
	}
	return writeJSON(w, doc)
}

// spdxNamespace keeps the namespace syft made (its base URL and the cleaned
// document name) and swaps only its random UUID, the last path element's
// last 36 characters, for one derived from the digest.
func (s *SBOM) spdxNamespace(syftNS string) string {
	id := s.stableUUID("spdx").String()
	if i := strings.LastIndexByte(syftNS, '/'); i >= 0 {
		last := syftNS[i+1:]
		if _, err := uuid.Parse(suffix(last, 36)); err == nil {
			return syftNS[:len(syftNS)-36] + id
		}
	}
	// not the shape we expect: still never random
	return strings.TrimRight(syftNS, "/") + "/" + id
}

func suffix(s string, n int) string {
	if len(s) < n {
		return s
	}
	return s[len(s)-n:]
}

func (s *SBOM) encodeCycloneDX(w io.Writer) error {
	bom := cyclonedxhelpers.ToFormatModel(*s.doc)
	if bom == nil {
		return errors.New("converting to CycloneDX: no document")
	}
	bom.SerialNumber = s.stableUUID("cyclonedx").URN()
	if bom.Metadata != nil {
		bom.Metadata.Timestamp = s.Created.Format(time.RFC3339)
	}
	enc := cyclonedx.NewBOMEncoder(w, cyclonedx.BOMFileFormatJSON)
	enc.SetPretty(true)
	enc.SetEscapeHTML(false)
	return enc.EncodeVersion(bom, cyclonedx.SpecVersion1_6)
}

func (s *SBOM) encodeSyft(w io.Writer) error {
	// syft JSON carries no timestamp or random identifier of its own
	doc := syftjson.ToFormatModel(*s.doc, syftjson.DefaultEncoderConfig())
	return writeJSON(w, &doc)
}

// stableUUID is a name-based (v5) UUID of the image digest, the tool that made
// the document and the format: the same image cataloged by the same tool
// always gets the same document identity, and a new syft version (whose
// output may differ) gets a new one, as SPDX and CycloneDX ask for.
func (s *SBOM) stableUUID(format string) uuid.UUID {
	d := s.doc.Descriptor
	key := strings.Join([]string{"stevedore-sbom", format, s.Digest.String(), d.Name, d.Version}, "\x00")
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte(key))
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
