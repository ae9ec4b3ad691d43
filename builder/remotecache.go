package builder

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// cacheAnnotation holds a shared cache's step keys on its manifest. The
// cache is an ordinary image in a registry whose layers are the cached
// layers, so registries store, deduplicate and garbage-collect it like any
// image, and pushing it sends only layers the registry lacks.
const cacheAnnotation = "dev.stevedore.cache.v1"

// remoteEntry is a step result found in a shared cache.
type remoteEntry struct {
	repo name.Repository
	cachedLayer
}

// loadRemoteCaches reads the step keys of every --cache-from image. A cache
// that cannot be read is reported as a warning: a missing cache (first run
// of a CI pipeline) must not fail the build.
func (b *builder) loadRemoteCaches(ctx context.Context) map[string]remoteEntry {
	out := map[string]remoteEntry{}
	for _, ref := range b.o.cacheFrom {
		desc, err := remote.Get(ref, append([]remote.Option{remote.WithContext(ctx)}, b.o.remote...)...)
		if err != nil {
			b.addWarning(fmt.Sprintf("reading build cache %s: %v (building without it)", ref, err))
			continue
		}
		var m v1.Manifest
		if err := json.Unmarshal(desc.Manifest, &m); err != nil {
			b.addWarning(fmt.Sprintf("reading build cache %s: %v", ref, err))
			continue
		}
		var entries map[string]cachedLayer
		if err := json.Unmarshal([]byte(m.Annotations[cacheAnnotation]), &entries); err != nil {
			b.addWarning(fmt.Sprintf("reading build cache %s: not a stevedore cache (%v)", ref, err))
			continue
		}
		for k, e := range entries {
			if _, ok := out[k]; !ok {
				out[k] = remoteEntry{repo: ref.Context(), cachedLayer: e}
			}
		}
	}
	return out
}

// fetchRemote downloads a shared cache's layer into the store and records
// it in the local cache.
func (b *builder) fetchRemote(ctx context.Context, key string, e remoteEntry) (v1.Layer, error) {
	d, err := v1.NewHash(e.Digest)
	if err != nil {
		return nil, err
	}
	if !b.st.HasBlob(d, e.Size) {
		l, err := remote.Layer(e.repo.Digest(e.Digest), append([]remote.Option{remote.WithContext(ctx)}, b.o.remote...)...)
		if err != nil {
			return nil, err
		}
		rc, err := l.Compressed()
		if err != nil {
			return nil, err
		}
		err = b.st.WriteBlob(d, rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
	}
	diffID, err := v1.NewHash(e.DiffID)
	if err != nil {
		return nil, err
	}
	l := &storedLayer{st: b.st, digest: d, diffID: diffID, size: e.Size, mt: e.MediaType}
	if err := b.cache.record(key, l); err != nil {
		return nil, err
	}
	return l, nil
}

// exportCache pushes the layers of every step this build used, keyed, to
// the --cache-to reference.
func exportCache(ctx context.Context, ref name.Reference, used map[string]v1.Layer, opts []remote.Option) error {
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
			return err
		}
		diffID, _ := l.DiffID()
		size, _ := l.Size()
		mt, _ := l.MediaType()
		entries[k] = cachedLayer{Digest: d.String(), DiffID: diffID.String(), Size: size, MediaType: mt}
		if seen[d] {
			continue
		}
		seen[d] = true
		var err2 error
		if img, err2 = mutate.AppendLayers(img, l); err2 != nil {
			return err2
		}
	}
	data, err := json.Marshal(entries)
	if err != nil {
		return err
	}
	img = mutate.Annotations(img, map[string]string{cacheAnnotation: string(data)}).(v1.Image)
	if err := remote.Write(ref, img, append([]remote.Option{remote.WithContext(ctx)}, opts...)...); err != nil {
		return fmt.Errorf("exporting build cache to %s: %w", ref, err)
	}
	return nil
}
