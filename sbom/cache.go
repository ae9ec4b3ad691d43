package sbom

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sreevishnu07/stevedore/internal/atomicfile"
)

// cacheSemantics names what this package writes for an image: the syft
// configuration (createConfig), the license scanner and the fixes Encode
// applies. It is part of every cache key, so documents written by a
// stevedore that cataloged or encoded differently are never served; change
// it whenever the same image and syft version give other bytes.
const cacheSemantics = "sbom-1"

// cacheEntry is the meta file of one cached SBOM. It is written last, after
// the documents it names, so an entry is complete or absent; the digests
// catch a document that changed on disk since.
type cacheEntry struct {
	Digest     string            `json:"digest"`
	Config     string            `json:"config"`
	Repository string            `json:"repository,omitempty"`
	Created    time.Time         `json:"created"`
	Tool       string            `json:"tool"`
	Documents  map[string]string `json:"documents"` // format name → sha256 of the file
	Packages   []Package         `json:"packages"`
	Distro     string            `json:"distro,omitempty"`
}

// cachedSyftVersion is the syft version in every cache key: the linked
// module's (a variable so a test can stand in for a stevedore built with
// another syft, which must not be served this one's documents).
var cachedSyftVersion = linkedSyftVersion

// cacheKey is everything the documents depend on: the image (its manifest
// digest names every layer and the config), how it is named and dated in
// the documents, the tool recorded, the syft library that cataloged it and
// this package's own semantics.
func cacheKey(id identity, o *options) string {
	name, version := toolOf(o)
	h := sha256.New()
	for _, p := range []string{cacheSemantics, cachedSyftVersion(), name, version,
		id.digest.String(), id.repo, id.created.Format(time.RFC3339)} {
		fmt.Fprintf(h, "%d:%s\n", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func cacheEntryDir(id identity, o *options) string {
	return filepath.Join(o.cacheDir, "sbom", cacheKey(id, o))
}

// loadCached returns the cached SBOM of id, or nil when there is none
// usable. A damaged entry is a miss, not an error: it is cataloged again and
// overwritten.
func loadCached(id identity, o *options) *SBOM {
	dir := cacheEntryDir(id, o)
	meta, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		return nil
	}
	var e cacheEntry
	if json.Unmarshal(meta, &e) != nil || e.Digest != id.digest.String() || len(e.Documents) != len(Formats()) {
		return nil
	}
	// A read is a use: `stevedore cache prune --filter until=…` keeps
	// what was read recently.
	now := time.Now()
	_ = os.Chtimes(dir, now, now)
	s := &SBOM{Digest: id.digest, Config: id.config, Repository: id.repo, Created: id.created,
		FromCache: true, encoded: map[Format][]byte{}, packages: e.Packages, distro: e.Distro}
	for _, f := range Formats() {
		b, err := os.ReadFile(filepath.Join(dir, f.String()+".json"))
		if err != nil {
			return nil
		}
		sum := sha256.Sum256(b)
		if e.Documents[f.String()] != "sha256:"+hex.EncodeToString(sum[:]) {
			return nil
		}
		s.encoded[f] = b
	}
	return s
}

// storeCached encodes s in every format (kept on s, so later Encode calls
// reuse them) and writes them with the meta file last.
func storeCached(s *SBOM, id identity, o *options) error {
	if err := s.encodeAll(); err != nil {
		return err
	}
	dir := cacheEntryDir(id, o)
	name, version := toolOf(o)
	e := cacheEntry{Digest: s.Digest.String(), Config: s.Config.String(), Repository: s.Repository,
		Created: s.Created, Tool: name + " " + version, Documents: map[string]string{},
		Packages: s.Packages(), Distro: s.Distro()}
	for _, f := range Formats() {
		b := s.encoded[f]
		if err := atomicfile.WriteFile(filepath.Join(dir, f.String()+".json"), b, 0o644); err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		e.Documents[f.String()] = "sha256:" + hex.EncodeToString(sum[:])
	}
	meta, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding SBOM cache entry: %w", err)
	}
	return atomicfile.WriteFile(filepath.Join(dir, "meta.json"), meta, 0o644)
}

// encodeAll fills s.encoded from the syft document.
func (s *SBOM) encodeAll() error {
	if s.encoded == nil {
		s.encoded = map[Format][]byte{}
	}
	for _, f := range Formats() {
		if _, ok := s.encoded[f]; ok {
			continue
		}
		var b bytes.Buffer
		if err := s.encode(&b, f); err != nil {
			return err
		}
		s.encoded[f] = b.Bytes()
	}
	return nil
}
