package builder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/sreevishnu07/stevedore/builder/store"
)

// cacheAnnotation holds a shared cache's step keys on its manifest. The
// cache is an ordinary image in a registry whose layers are the cached
// layers, so registries store, deduplicate and garbage-collect it like any
// image, and pushing it sends only layers the registry lacks.
const cacheAnnotation = "dev.stevedore.cache.v1"

// Cache is a shared build cache in buildx's terms: a registry image
// (type=registry, Ref) or an OCI layout directory on this machine
// (type=local, Dir), which CI keeps between runs with actions/cache.
type Cache struct {
	Ref string
	Dir string
	// GHA is set for type=gha (ghacache.go).
	GHA *GHACache
}

// ParseCache reads a --cache-from (export false) or --cache-to (export
// true) value as buildx writes it: REF, type=registry,ref=REF,
// type=local,src=DIR (import) or type=local,dest=DIR (export). Attributes
// buildx takes that do not change what stevedore stores (mode,
// compression, oci-mediatypes, …) are accepted; others are errors.
func ParseCache(spec string, export bool) (Cache, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return Cache{}, errors.New("empty cache: want REF, type=registry,ref=REF or type=local," + localAttr(export) + "=DIR")
	}
	if !strings.Contains(spec, "=") {
		return Cache{Ref: spec}, nil
	}
	attrs := map[string]string{}
	for _, kv := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return Cache{}, fmt.Errorf("%q is not KEY=VALUE", kv)
		}
		attrs[strings.ToLower(k)] = v
	}
	typ := attrs["type"]
	if typ == "" {
		typ = "registry"
	}
	allowed := map[string]bool{"type": true, "mode": true, "ignore-error": true, "oci-mediatypes": true, "image-manifest": true,
		"compression": true, "compression-level": true, "force-compression": true}
	var c Cache
	switch typ {
	case "registry":
		allowed["ref"] = true
		if c.Ref = attrs["ref"]; c.Ref == "" {
			return Cache{}, errors.New("type=registry needs ref=REF")
		}
	case "local":
		want, other := localAttr(export), localAttr(!export)
		allowed[want], allowed["tag"], allowed["digest"] = true, true, true
		if _, ok := attrs[other]; ok {
			return Cache{}, fmt.Errorf("type=local with %s=: a cache is read from src=DIR (cache-from) and written to dest=DIR (cache-to)", other)
		}
		if c.Dir = attrs[want]; c.Dir == "" {
			return Cache{}, fmt.Errorf("type=local needs %s=DIR", want)
		}
	case "gha":
		for _, k := range ghaAttrs {
			allowed[k] = true
		}
		g, err := parseGHA(attrs, os.Getenv)
		if err != nil {
			return Cache{}, fmt.Errorf("type=gha: %w", err)
		}
		c.GHA = &g
	default:
		return Cache{}, fmt.Errorf("type=%s is not supported: want type=registry,ref=REF, type=local,%s=DIR or type=gha", typ, localAttr(export))
	}
	for k := range attrs {
		if !allowed[k] {
			return Cache{}, fmt.Errorf("unknown attribute %q for type=%s", k, typ)
		}
	}
	if m := attrs["mode"]; m != "" && m != "min" && m != "max" {
		return Cache{}, fmt.Errorf("mode=%s: want mode=min or mode=max", m)
	}
	return c, nil
}

func localAttr(export bool) string {
	if export {
		return "dest"
	}
	return "src"
}

// WithLocalCacheFrom reads step results shared by earlier builds from OCI
// layout directories (written by WithLocalCacheTo). A missing directory is
// a first run, not an error.
func WithLocalCacheFrom(dirs ...string) Option {
	return func(o *options) { o.localCacheFrom = append(o.localCacheFrom, dirs...) }
}

// WithLocalCacheTo writes this build's step results to an OCI layout
// directory after a successful build, replacing what it held, so a cache
// kept with actions/cache does not grow run after run. It replaces an
// earlier WithCacheTo: a build has one cache-to.
func WithLocalCacheTo(dir string) Option {
	return func(o *options) { o.localCacheTo, o.cacheTo, o.ghaCacheTo = dir, nil, nil }
}

// WithGHACacheFrom reads step results shared by earlier builds from
// GitHub Actions' cache service (type=gha). An unreachable cache or a
// scope with no entries yet is a warning, not an error.
func WithGHACacheFrom(caches ...GHACache) Option {
	return func(o *options) { o.ghaCacheFrom = append(o.ghaCacheFrom, caches...) }
}

// WithGHACacheTo writes this build's step results to GitHub Actions'
// cache service after a successful build. It replaces an earlier
// WithCacheTo or WithLocalCacheTo: a build has one cache-to.
func WithGHACacheTo(g GHACache) Option {
	return func(o *options) { o.ghaCacheTo, o.cacheTo, o.localCacheTo = &g, nil, "" }
}

// remoteEntry is a step result found in a shared cache: in a registry
// repository, in a local layout when dir is set, or in GitHub Actions'
// cache when gha is set.
type remoteEntry struct {
	repo name.Repository
	dir  layout.Path
	gha  *ghaStore
	cachedLayer
}

// sharedCache is what a build shares with other machines' builds: the
// step results found in its --cache-from caches, and the layers of every
// step it used, which --cache-to exports. One serves all platforms.
type sharedCache struct {
	st      *store.Store
	remote  []remote.Option
	entries map[string]remoteEntry // step key → where its layer is

	mu   sync.Mutex
	used map[string]v1.Layer // step key → layer, for --cache-to
}

// loadSharedCache reads the step keys of every --cache-from cache. A cache
// that cannot be read is reported as a warning: a missing cache (first run
// of a CI pipeline) must not fail the build.
func loadSharedCache(ctx context.Context, o *options, st *store.Store, warn func(string)) *sharedCache {
	out := map[string]remoteEntry{}
	add := func(where string, manifest []byte, e remoteEntry) {
		var m v1.Manifest
		if err := json.Unmarshal(manifest, &m); err != nil {
			warn(fmt.Sprintf("reading build cache %s: %v", where, err))
			return
		}
		var entries map[string]cachedLayer
		if err := json.Unmarshal([]byte(m.Annotations[cacheAnnotation]), &entries); err != nil {
			warn(fmt.Sprintf("reading build cache %s: not a stevedore cache (%v)", where, err))
			return
		}
		for k, c := range entries {
			if _, ok := out[k]; !ok {
				e.cachedLayer = c
				out[k] = e
			}
		}
	}
	for _, ref := range o.cacheFrom {
		desc, err := remote.Get(ref, append([]remote.Option{remote.WithContext(ctx)}, o.remote...)...)
		if err != nil {
			warn(fmt.Sprintf("reading build cache %s: %v (building without it)", ref, err))
			continue
		}
		add(ref.String(), desc.Manifest, remoteEntry{repo: ref.Context()})
	}
	for _, dir := range o.localCacheFrom {
		manifest, err := readLocalCache(dir)
		if err != nil {
			warn(fmt.Sprintf("reading build cache %s: %v (building without it)", dir, err))
			continue
		}
		add(dir, manifest, remoteEntry{dir: layout.Path(dir)})
	}
	for _, g := range o.ghaCacheFrom {
		s, err := openGHA(g)
		if err != nil {
			warn(fmt.Sprintf("reading build cache: %v (building without it)", err))
			continue
		}
		manifest, err := s.manifest(ctx)
		if err != nil {
			warn(fmt.Sprintf("%v (building without it)", g.wrap("reading build cache", err)))
			continue
		}
		if manifest == nil {
			warn(fmt.Sprintf("reading build cache %s: no entries yet (building without it)", g))
			continue
		}
		add(g.String(), manifest, remoteEntry{gha: s})
	}
	return &sharedCache{st: st, remote: o.remote, entries: out, used: map[string]v1.Layer{}}
}

// entry is where a shared cache holds the layer of the step key.
func (c *sharedCache) entry(key string) (remoteEntry, bool) {
	e, ok := c.entries[key]
	return e, ok
}

// use marks the layer of a step this build used, cached or built.
func (c *sharedCache) use(key string, l v1.Layer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.used[key] = l
}

// localCacheRef names the cache image in its layout's index.
const localCacheRef = "stevedore-cache"

// readLocalCache is the manifest of the cache image in a layout directory.
func readLocalCache(dir string) ([]byte, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, err
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return nil, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, d := range im.Manifests {
		if d.Annotations[imageRefName] == localCacheRef {
			rc, err := p.Blob(d.Digest)
			if err != nil {
				return nil, err
			}
			defer rc.Close()
			return io.ReadAll(rc)
		}
	}
	return nil, errors.New("no stevedore cache in the layout (written by --cache-to type=local,dest=DIR)")
}

const imageRefName = "org.opencontainers.image.ref.name"

// fetch downloads a shared cache's layer into the store.
func (c *sharedCache) fetch(ctx context.Context, e remoteEntry) (v1.Layer, error) {
	d, err := v1.NewHash(e.Digest)
	if err != nil {
		return nil, err
	}
	if !c.st.HasBlob(d, e.Size) {
		var rc io.ReadCloser
		switch {
		case e.gha != nil:
			rc, err = e.gha.blob(ctx, e.Digest)
		case e.dir != "":
			rc, err = e.dir.Blob(d)
		default:
			var l v1.Layer
			if l, err = remote.Layer(e.repo.Digest(e.Digest), append([]remote.Option{remote.WithContext(ctx)}, c.remote...)...); err == nil {
				rc, err = l.Compressed()
			}
		}
		if err != nil {
			return nil, err
		}
		err = c.st.WriteBlob(d, rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
	}
	diffID, err := v1.NewHash(e.DiffID)
	if err != nil {
		return nil, err
	}
	return &storedLayer{st: c.st, digest: d, diffID: diffID, size: e.Size, mt: e.MediaType}, nil
}

// cacheImage holds the layers of every step this build used, keyed in its
// manifest's annotation.
func cacheImage(used map[string]v1.Layer) (v1.Image, error) {
	keys := make([]string, 0, len(used))
	for k := range used {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	entries := map[string]cachedLayer{}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	seen := map[v1.Hash]bool{}
	for _, k := range keys {
		l := used[k]
		d, err := l.Digest()
		if err != nil {
			return nil, err
		}
		diffID, _ := l.DiffID()
		size, _ := l.Size()
		mt, _ := l.MediaType()
		entries[k] = cachedLayer{Digest: d.String(), DiffID: diffID.String(), Size: size, MediaType: mt}
		if seen[d] {
			continue
		}
		seen[d] = true
		if img, err = mutate.AppendLayers(img, l); err != nil {
			return nil, err
		}
	}
	data, err := json.Marshal(entries)
	if err != nil {
		return nil, err
	}
	return mutate.Annotations(img, map[string]string{cacheAnnotation: string(data)}).(v1.Image), nil
}

// exportCache pushes the layers of every step this build used, keyed, to
// the --cache-to reference.
func exportCache(ctx context.Context, ref name.Reference, used map[string]v1.Layer, opts []remote.Option) error {
	img, err := cacheImage(used)
	if err != nil {
		return fmt.Errorf("exporting build cache to %s: %w", ref, err)
	}
	if err := remote.Write(ref, img, append([]remote.Option{remote.WithContext(ctx)}, opts...)...); err != nil {
		return fmt.Errorf("exporting build cache to %s: %w", ref, err)
	}
	return nil
}

// exportLocalCache writes the cache image as the only image of a layout
// directory. It is written next to dir and renamed over it, so dir never
// holds half a cache and layers no longer used are dropped (buildx's local
// cache grows until the workflow moves it aside).
func exportLocalCache(dir string, used map[string]v1.Layer) error {
	fail := func(err error) error { return fmt.Errorf("exporting build cache to %s: %w", dir, err) }
	img, err := cacheImage(used)
	if err != nil {
		return fail(err)
	}
	dir = filepath.Clean(dir)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fail(err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".new-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(tmp)
	p, err := layout.Write(tmp, empty.Index)
	if err != nil {
		return fail(err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{imageRefName: localCacheRef})); err != nil {
		return fail(err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fail(err)
	}
	old := tmp + ".old"
	if err := os.Rename(dir, old); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fail(err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fail(err)
	}
	return os.RemoveAll(old)
}
