package sbom

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/anchore/syft/syft/artifact"
	"github.com/anchore/syft/syft/file"
	"github.com/anchore/syft/syft/format/syftjson"
	"github.com/anchore/syft/syft/pkg"
	syftsbom "github.com/anchore/syft/syft/sbom"
	"github.com/anchore/syft/syft/source"
	"github.com/bmatcuk/doublestar/v4"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sreevishnu07/stevedore/internal/atomicfile"
)

// layerCacheSemantics names what a per-layer entry holds and how it is
// merged; it is checked on every load, so entries written by a stevedore
// that recorded or merged differently are never used.
const layerCacheSemantics = "sbom-layers-1"

// LayerCacheUse says how the per-layer cache of WithCacheDir served one
// Generate, so callers (and tests) can tell which path was taken.
type LayerCacheUse struct {
	// BaseLayers is how many of the image's bottom layers had a cached
	// catalog (found, or made and stored by this call); 0 when none.
	BaseLayers int
	// Stored reports that this call cataloged those base layers and stored
	// the entry.
	Stored bool
	// NewLayersOnly reports the fast path: only the layers above the base
	// were cataloged, and the base's catalog was merged in.
	NewLayersOnly bool
	// Fallback is why the whole image was cataloged instead, or "".
	Fallback string
}

// layerEntry is the meta file of one per-layer entry, written last.
type layerEntry struct {
	Semantics string `json:"semantics"`
	Syft      string `json:"syft"`
	ChainID   string `json:"chainID"`
	Layers    int    `json:"layers"`
	// Sizes are the layers' sizes as stereoscope counts them (the sum of
	// their entries' sizes), which the catalog of the new layers, run with
	// these layers emptied, cannot see.
	Sizes []int64 `json:"sizes"`
	// Relied are the paths the catalogers asked for, found or not, every
	// path returned or read, the files the packages own and the packages'
	// locations.
	Relied []string `json:"relied"`
	// Globs are the patterns the catalogers (and syft's post-processing,
	// which looks for the libraries executables import by name) searched
	// with: a file a later layer adds that one matches could have been
	// found by them.
	Globs []string `json:"globs"`
	// AllFiles reports that a cataloger enumerated every file, so any
	// change above may matter.
	AllFiles bool `json:"allFiles,omitempty"`
	// NixStore reports that the catalog relied on every file under a
	// nix/store directory, including ones a later layer adds.
	NixStore bool `json:"nixStore,omitempty"`
	// Tree is the squashed tree of the base layers: path → entry kind.
	Tree    map[string]string `json:"tree"`
	Catalog string            `json:"catalog"` // sha256 of catalog.syft.json
}

type layerBase struct {
	entry *layerEntry
	doc   *syftsbom.SBOM
	tree  tree
}

func layerEntryDir(cacheDir string, chain v1.Hash) string {
	return filepath.Join(cacheDir, "sbom-layers", chain.Hex)
}

// loadLayerEntry returns the entry for chain, or nil when there is none
// usable (a damaged entry is a miss: it is made again and overwritten).
func loadLayerEntry(cacheDir string, chain v1.Hash, layers int) *layerBase {
	dir := layerEntryDir(cacheDir, chain)
	meta, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		return nil
	}
	var e layerEntry
	if json.Unmarshal(meta, &e) != nil || e.Semantics != layerCacheSemantics || e.Syft != cachedSyftVersion() ||
		e.ChainID != chain.String() || e.Layers != layers || len(e.Sizes) != layers {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(dir, "catalog.syft.json"))
	if err != nil {
		return nil
	}
	sum := sha256.Sum256(b)
	if e.Catalog != "sha256:"+hex.EncodeToString(sum[:]) {
		return nil
	}
	doc, _, _, err := syftjson.NewFormatDecoder().Decode(bytes.NewReader(b))
	if err != nil {
		return nil
	}
	t := tree{}
	for p, k := range e.Tree {
		if len(k) != 1 {
			return nil
		}
		t[p] = entryKind(k[0])
	}
	return &layerBase{entry: &e, doc: doc, tree: t}
}

// seenBase reports whether an earlier call saw an image on the base layers
// with ChainID chain, and marks them seen. A mark that cannot be written
// only delays storing the base.
func seenBase(cacheDir string, chain v1.Hash) bool {
	p := filepath.Join(layerEntryDir(cacheDir, chain), "seen")
	if _, err := os.Stat(p); err == nil {
		return true
	}
	_ = atomicfile.WriteFile(p, nil, 0o644)
	return false
}

// storeLayerEntry writes b under chain, catalog first and meta last.
func storeLayerEntry(cacheDir string, chain v1.Hash, catalog []byte, e *layerEntry) error {
	dir := layerEntryDir(cacheDir, chain)
	if err := atomicfile.WriteFile(filepath.Join(dir, "catalog.syft.json"), catalog, 0o644); err != nil {
		return err
	}
	sum := sha256.Sum256(catalog)
	e.Catalog = "sha256:" + hex.EncodeToString(sum[:])
	meta, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encoding SBOM layer cache entry: %w", err)
	}
	return atomicfile.WriteFile(filepath.Join(dir, "meta.json"), meta, 0o644)
}

// catalogByLayers is Generate's cataloging with a cache directory: it finds
// (or makes and stores) the catalog of the image's bottom layers, catalogs
// only the layers above them when that is sound, and otherwise catalogs
// the whole image.
//
// On a miss the base is every layer but the top one: a release normally
// changes its top layer (the application) on an unchanged base.
func catalogByLayers(ctx context.Context, img v1.Image, id identity, o *options) (*SBOM, error) {
	var use LayerCacheUse
	full := func(reason string) (*SBOM, error) {
		use.Fallback = reason
		s, err := catalog(ctx, img, id, o)
		if s != nil {
			s.LayerCache = use
		}
		return s, err
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("listing layers: %w", err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading image config: %w", err)
	}
	diffIDs := cfg.RootFS.DiffIDs
	if len(diffIDs) != len(layers) {
		return full(fmt.Sprintf("the config lists %d diffIDs for %d layers", len(diffIDs), len(layers)))
	}
	if len(layers) < 2 {
		return full("the image has no layer above a base")
	}
	chain := chainIDs(diffIDs)

	var base *layerBase
	for n := len(layers) - 1; n >= 1 && base == nil; n-- {
		if base = loadLayerEntry(o.cacheDir, chain[n-1], n); base != nil {
			use.BaseLayers = n
		}
	}
	if base == nil {
		n := len(layers) - 1
		// Cataloging the base apart costs a second syft run. Only a base
		// seen before is worth it: the first image on a base (a one-off
		// sbom, a CI runner whose cache does not outlive the job) costs
		// what an uncached SBOM costs, the second stores the base's
		// catalog, and later ones catalog only their new layers.
		if !seenBase(o.cacheDir, chain[n-1]) {
			return full("the first image on these base layers: the next one on them stores their catalog")
		}
		base, err = storeBase(ctx, img, id, o, layers, chain[n-1], n)
		if err != nil {
			return nil, err
		}
		if base == nil {
			return full("the base layers' catalog does not survive a syft JSON round trip")
		}
		use.BaseLayers, use.Stored = n, true
	}
	n := use.BaseLayers

	// conditions that need only the new layers' headers
	if base.entry.AllFiles {
		return full("a cataloger of the base layers read every file")
	}
	var changes []layerChange
	for i, l := range layers[n:] {
		c, err := layerChangesOf(l)
		if err != nil {
			return nil, fmt.Errorf("reading entries of layer %d (%s): %w", n+i+1, diffIDs[n+i], err)
		}
		changes = append(changes, c...)
	}
	for _, c := range changes {
		if c.Kind == kindLink {
			return full(fmt.Sprintf("a new layer holds a link at %s", c.Path))
		}
	}
	if base.entry.NixStore {
		for _, c := range changes {
			if inNixStore(c.Path) {
				return full(fmt.Sprintf("a new layer changes %s, in a nix store", c.Path))
			}
		}
	}
	for _, c := range changes {
		if g, ok := matchesGlob(c, base.entry.Globs); ok {
			return full(fmt.Sprintf("a new layer adds %s, which the base layers' catalogers searched for with %s", c.Path, g))
		}
	}
	if p, ok := touches(changes, base.tree, base.entry.Relied); ok {
		return full(fmt.Sprintf("a new layer changes %s, which the base layers' catalog relied on", p))
	}

	rec := newLookups()
	newDoc, err := runSyft(ctx, emptiedImage{Image: img, empty: func(i int) bool { return i < n }}, id, o, rec)
	if err != nil {
		return nil, fmt.Errorf("cataloging the layers above the base: %w", err)
	}
	if reason := newLayersOnlyUnsound(newDoc, rec, base); reason != "" {
		return full(reason)
	}
	if err := mergeBase(newDoc, base, n); err != nil {
		return full(err.Error())
	}
	use.NewLayersOnly = true
	return &SBOM{Digest: id.digest, Config: id.config, Repository: id.repo, Created: id.created,
		doc: newDoc, LayerCache: use}, nil
}

// storeBase catalogs the bottom n layers of img (the image with the layers
// above emptied) and stores the entry; it returns nil when the catalog
// would not decode back to the same documents.
func storeBase(ctx context.Context, img v1.Image, id identity, o *options, layers []v1.Layer, chain v1.Hash, n int) (*layerBase, error) {
	rec := newLookups()
	doc, err := runSyft(ctx, emptiedImage{Image: img, empty: func(i int) bool { return i >= n }}, id, o, rec)
	if err != nil {
		return nil, fmt.Errorf("cataloging the base layers: %w", err)
	}
	whole := &SBOM{Digest: id.digest, Created: id.created, Repository: id.repo, doc: doc}
	var catalog bytes.Buffer
	if err := whole.encodeSyft(&catalog); err != nil {
		return nil, fmt.Errorf("encoding the base layers' catalog: %w", err)
	}
	decoded, _, _, err := syftjson.NewFormatDecoder().Decode(bytes.NewReader(catalog.Bytes()))
	if err != nil {
		return nil, fmt.Errorf("decoding the base layers' catalog: %w", err)
	}
	back := &SBOM{Digest: id.digest, Created: id.created, Repository: id.repo, doc: decoded}
	for _, f := range Formats() {
		var a, b bytes.Buffer
		if err := whole.encode(&a, f); err != nil {
			return nil, err
		}
		if err := back.encode(&b, f); err != nil || !bytes.Equal(a.Bytes(), b.Bytes()) {
			return nil, nil
		}
	}

	meta, ok := doc.Source.Metadata.(source.ImageMetadata)
	if !ok || len(meta.Layers) < n {
		return nil, errors.New("cataloging the base layers: syft described no image layers")
	}
	t := tree{}
	for i, l := range layers[:n] {
		c, err := layerChangesOf(l)
		if err != nil {
			return nil, fmt.Errorf("reading entries of layer %d: %w", i+1, err)
		}
		t.apply(c)
	}
	e := &layerEntry{Semantics: layerCacheSemantics, Syft: cachedSyftVersion(), ChainID: chain.String(), Layers: n,
		Globs: rec.globPatterns(), Relied: reliedPaths(doc, rec, t), AllFiles: rec.all, NixStore: rec.nixStore, Tree: map[string]string{}}
	for _, l := range meta.Layers[:n] {
		e.Sizes = append(e.Sizes, l.Size)
	}
	for p, k := range t {
		e.Tree[p] = string(rune(k))
	}
	if err := storeLayerEntry(o.cacheDir, chain, catalog.Bytes(), e); err != nil {
		return nil, fmt.Errorf("caching the base layers' SBOM in %s: %w (set --cache-dir to a writable directory)", o.cacheDir, err)
	}
	return &layerBase{entry: e, doc: decoded, tree: t}, nil
}

// reliedPaths is everything the base catalog depends on: what its
// catalogers looked up or read, the files its packages own and the
// packages' and file records' own paths.
func reliedPaths(doc *syftsbom.SBOM, rec *lookups, base tree) []string {
	m := map[string]bool{}
	if rec.nixStore {
		for p := range base {
			if inNixStore(p) {
				m[p] = true
			}
		}
	}
	for _, p := range rec.paths() {
		m[p] = true
	}
	add := func(p string) {
		if p != "" {
			m[cleanPath(p)] = true
		}
	}
	for p := range doc.Artifacts.Packages.Enumerate() {
		for _, l := range p.Locations.ToSlice() {
			add(l.RealPath)
			add(l.AccessPath)
		}
		if owner, ok := p.Metadata.(pkg.FileOwner); ok {
			for _, f := range owner.OwnedFiles() {
				add(f)
			}
		}
	}
	for c := range doc.Artifacts.FileMetadata {
		add(c.RealPath)
	}
	for c := range doc.Artifacts.FileDigests {
		add(c.RealPath)
	}
	for c := range doc.Artifacts.Executables {
		add(c.RealPath)
	}
	for c := range doc.Artifacts.Unknowns {
		add(c.RealPath)
	}
	return sortedKeys(m)
}

// newLayersOnlyUnsound is why the catalog of the new layers cannot be
// merged with the base's, or "". syft's post-processing (binary package
// removal, file ownership overlap, ELF dependency links, unknowns, OS
// detection) can relate packages across layers; these conditions leave it
// nothing to relate.
func newLayersOnlyUnsound(doc *syftsbom.SBOM, rec *lookups, base *layerBase) string {
	if doc.Artifacts.LinuxDistribution != nil {
		return "the new layers identify an operating system release"
	}
	for p := range doc.Artifacts.Packages.Enumerate() {
		if p.Type != pkg.GoModulePkg || p.FoundBy != "go-module-binary-cataloger" {
			return fmt.Sprintf("the new layers hold %s package %s (found by %s), not only Go binaries", p.Type, p.Name, p.FoundBy)
		}
	}
	if len(doc.Artifacts.Unknowns) > 0 {
		return "cataloging the new layers left unknowns"
	}
	for c, x := range doc.Artifacts.Executables {
		if len(x.ImportedLibraries) > 0 {
			return fmt.Sprintf("executable %s in a new layer imports shared libraries", c.RealPath)
		}
	}
	if rec.all {
		return "a cataloger of the new layers read every file"
	}
	// What the new layers' catalogers asked for because of what those layers
	// hold must not be something the emptied base hid. Release
	// identification is left out: it asks for the same files whatever the
	// layers hold, its answer is the base's (the new layers identified
	// none), and the base relied on the files it asked for.
	for _, p := range rec.cataloged() {
		if base.tree.has(p) {
			return fmt.Sprintf("cataloging the new layers looked up %s, which the base layers hold", p)
		}
	}
	return ""
}

// matchesGlob reports the first of globs that the file c adds matches.
// Directories are not files to a glob search; whiteouts and opaque markers
// remove what the base held, which touches handles.
func matchesGlob(c layerChange, globs []string) (string, bool) {
	if c.Kind == kindDir || c.Kind == kindWhiteout || c.Kind == kindOpaque {
		return "", false
	}
	for _, g := range globs {
		if ok, _ := doublestar.Match(g, c.Path); ok {
			return g, true
		}
		if ok, _ := doublestar.Match(g, strings.TrimPrefix(c.Path, "/")); ok {
			return g, true
		}
	}
	return "", false
}

// inNixStore reports whether p is in or at a nix/store directory, where
// syft's nix cataloger looks (its pattern is **/nix/store/*).
func inNixStore(p string) bool {
	return strings.Contains(p+"/", "/nix/store/")
}

// has reports whether p, or a link on the way to it, is in the tree.
func (t tree) has(p string) bool {
	for q := p; ; q = path.Dir(q) {
		if k, ok := t[q]; ok && (q == p || k == kindLink) {
			return true
		}
		if q == "/" {
			return false
		}
	}
}

// sourceID stands for the image in relationships, as syft's own source
// relationships do.
type sourceID artifact.ID

func (s sourceID) ID() artifact.ID { return artifact.ID(s) }

// mergeBase adds the base's packages, relationships, file records and
// release to doc, the catalog of the new layers, and puts back the sizes of
// the base layers that were emptied for it.
func mergeBase(doc *syftsbom.SBOM, base *layerBase, n int) error {
	bd := base.doc
	meta, ok := doc.Source.Metadata.(source.ImageMetadata)
	if !ok || len(meta.Layers) < n {
		return errors.New("the new layers' catalog describes no image layers")
	}
	meta.Layers = slices.Clone(meta.Layers)
	for i := range n {
		meta.Layers[i].Size = base.entry.Sizes[i]
		meta.Size += base.entry.Sizes[i]
	}
	doc.Source.Metadata = meta

	for p := range bd.Artifacts.Packages.Enumerate() {
		doc.Artifacts.Packages.Add(p)
		doc.Relationships = append(doc.Relationships, artifact.Relationship{
			From: sourceID(doc.Source.ID), To: p, Type: artifact.ContainsRelationship})
	}
	for _, r := range bd.Relationships {
		if r.From != nil && string(r.From.ID()) == bd.Source.ID {
			continue // the base's own source: replaced above by this image
		}
		doc.Relationships = append(doc.Relationships, r)
	}
	doc.Artifacts.LinuxDistribution = bd.Artifacts.LinuxDistribution
	doc.Artifacts.FileMetadata = mergeMap(doc.Artifacts.FileMetadata, bd.Artifacts.FileMetadata)
	doc.Artifacts.FileDigests = mergeMap(doc.Artifacts.FileDigests, bd.Artifacts.FileDigests)
	doc.Artifacts.FileContents = mergeMap(doc.Artifacts.FileContents, bd.Artifacts.FileContents)
	doc.Artifacts.FileLicenses = mergeMap(doc.Artifacts.FileLicenses, bd.Artifacts.FileLicenses)
	doc.Artifacts.Executables = mergeMap(doc.Artifacts.Executables, bd.Artifacts.Executables)
	doc.Artifacts.Unknowns = mergeMap(doc.Artifacts.Unknowns, bd.Artifacts.Unknowns)
	return nil
}

func mergeMap[V any](into, from map[file.Coordinates]V) map[file.Coordinates]V {
	if len(from) == 0 {
		return into
	}
	if into == nil {
		into = map[file.Coordinates]V{}
	}
	for k, v := range from {
		into[k] = v
	}
	return into
}

// emptiedImage is img with some layers replaced by empty ones that keep
// their digest, diffID and media type: stereoscope names a layer's files by
// its diffID, so what the kept layers hold is located exactly as in the
// whole image, and the source (manifest, config) is the image's own.
type emptiedImage struct {
	v1.Image
	empty func(i int) bool
}

func (e emptiedImage) Layers() ([]v1.Layer, error) {
	ls, err := e.Image.Layers()
	if err != nil {
		return nil, err
	}
	out := make([]v1.Layer, len(ls))
	for i, l := range ls {
		out[i] = l
		if e.empty(i) {
			out[i] = emptyLayer{Layer: l}
		}
	}
	return out, nil
}

// emptyTar is a tar archive with no entries: its end-of-archive marker.
var emptyTar = make([]byte, 1024)

type emptyLayer struct{ v1.Layer }

func (emptyLayer) Uncompressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(emptyTar)), nil
}

func (l emptyLayer) Compressed() (io.ReadCloser, error) {
	d, _ := l.Digest()
	return nil, fmt.Errorf("layer %s is emptied for cataloging: its compressed form is not read", d)
}
