package builder

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/sreevishnu07/stevedore/builder/dockerfile"
	"github.com/sreevishnu07/stevedore/builder/platform"
	"github.com/sreevishnu07/stevedore/builder/store"
)

// storedLayer is a layer blob in the store, known from the step cache.
type storedLayer struct {
	st     *store.Store
	digest v1.Hash
	diffID v1.Hash
	size   int64
	mt     types.MediaType
}

func (l *storedLayer) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *storedLayer) DiffID() (v1.Hash, error)            { return l.diffID, nil }
func (l *storedLayer) Size() (int64, error)                { return l.size, nil }
func (l *storedLayer) MediaType() (types.MediaType, error) { return l.mt, nil }
func (l *storedLayer) Compressed() (io.ReadCloser, error)  { return l.st.Open(l.digest) }

// BlobPath is the file in the store holding the blob: an OCI layout output
// on the same file system links it instead of writing the layer again.
func (l *storedLayer) BlobPath() string { return l.st.Path(l.digest) }
func (l *storedLayer) Uncompressed() (io.ReadCloser, error) {
	return uncompressed(l)
}

// fsState is a stage's filesystem and history so far: the base image's
// layers and history, then one entry per step.
type fsState struct {
	layers  []v1.Layer
	history []v1.History
	base    *v1.ConfigFile // nil for scratch
}

func (s fsState) clone() fsState {
	return fsState{
		layers:  append([]v1.Layer(nil), s.layers...),
		history: append([]v1.History(nil), s.history...),
		base:    s.base,
	}
}

// baseState takes an image apart into layers and history.
func baseState(img v1.Image) (fsState, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return fsState{}, fmt.Errorf("reading base image config: %w", err)
	}
	layers, err := img.Layers()
	if err != nil {
		return fsState{}, fmt.Errorf("reading base image layers: %w", err)
	}
	return fsState{layers: layers, history: append([]v1.History(nil), cf.History...), base: cf}, nil
}

// ociLayerType is the OCI media type for a layer's encoding: images are
// always written with OCI media types, whatever their base used, so one
// manifest never mixes the two families.
func ociLayerType(mt types.MediaType) types.MediaType {
	switch mt {
	case types.DockerLayer:
		return types.OCILayer
	case types.DockerUncompressedLayer:
		return types.OCIUncompressedLayer
	case types.DockerForeignLayer:
		return types.OCIRestrictedLayer
	}
	return mt
}

// assemble writes the image for a stage's final state.
// imagePlatform is the platform the final image's config names, by
// dockerfile2llb's rule: the target stage's own platform, unless the user
// asked for a platform, which then names the OS and architecture (and the
// variant and OS version when it gives them or the architecture changed),
// all normalised.
func imagePlatform(stage, target v1.Platform, asked bool) v1.Platform {
	if asked {
		same := stage.OS == target.OS && stage.Architecture == target.Architecture
		stage.OS, stage.Architecture = target.OS, target.Architecture
		if target.Variant != "" || !same {
			stage.Variant = target.Variant
		}
		if target.OSVersion != "" || !same {
			stage.OSVersion = target.OSVersion
		}
		if target.OSFeatures != nil {
			stage.OSFeatures = slices.Clone(target.OSFeatures)
		}
	}
	return platform.Normalize(stage)
}

func assemble(fs fsState, st *dockerfile.State, plat v1.Platform, epoch time.Time) (v1.Image, error) {
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	adds := make([]mutate.Addendum, 0, len(fs.layers))
	for _, l := range fs.layers {
		mt, err := l.MediaType()
		if err != nil {
			return nil, err
		}
		adds = append(adds, mutate.Addendum{Layer: l, MediaType: ociLayerType(mt)})
	}
	img, err := mutate.Append(img, adds...)
	if err != nil {
		return nil, fmt.Errorf("assembling image: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("assembling image: %w", err)
	}
	cf = cf.DeepCopy()
	if fs.base != nil {
		cf.OSVersion, cf.OSFeatures = fs.base.OSVersion, fs.base.OSFeatures
	}
	cf.Architecture, cf.OS, cf.Variant = plat.Architecture, plat.OS, plat.Variant
	cf.Created = v1.Time{Time: epoch}
	cf.Author = st.Author
	cf.Config = st.Config
	cf.History = fs.history
	cf.Container, cf.DockerVersion = "", ""
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return nil, fmt.Errorf("assembling image: %w", err)
	}
	if st.HealthcheckStartInterval != 0 && cf.Config.Healthcheck != nil {
		return withStartInterval(img, st.HealthcheckStartInterval)
	}
	return img, nil
}

// withStartInterval adds HEALTHCHECK --start-interval to img's config as
// Healthcheck.StartInterval (nanoseconds, as docker and BuildKit write it),
// a field go-containerregistry's config type does not have.
func withStartInterval(img v1.Image, d time.Duration) (v1.Image, error) {
	raw, err := img.RawConfigFile()
	if err != nil {
		return nil, fmt.Errorf("assembling image: %w", err)
	}
	var top, config, health map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, fmt.Errorf("assembling image: %w", err)
	}
	if err := json.Unmarshal(top["config"], &config); err != nil {
		return nil, fmt.Errorf("assembling image: %w", err)
	}
	if err := json.Unmarshal(config["Healthcheck"], &health); err != nil {
		return nil, fmt.Errorf("assembling image: %w", err)
	}
	health["StartInterval"] = json.RawMessage(fmt.Sprint(int64(d)))
	var errs [3]error
	config["Healthcheck"], errs[0] = json.Marshal(health)
	top["config"], errs[1] = json.Marshal(config)
	raw, errs[2] = json.Marshal(top)
	if err := errors.Join(errs[:]...); err != nil {
		return nil, fmt.Errorf("assembling image: %w", err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("assembling image: %w", err)
	}
	m = m.DeepCopy()
	if m.Config.Digest, m.Config.Size, err = v1.SHA256(bytes.NewReader(raw)); err != nil {
		return nil, err
	}
	rawManifest, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return &rawConfigImage{Image: img, config: raw, manifest: m, rawManifest: rawManifest}, nil
}

// rawConfigImage is an image whose config is given as bytes; its layers
// are the wrapped image's.
type rawConfigImage struct {
	v1.Image
	config, rawManifest []byte
	manifest            *v1.Manifest
}

func (i *rawConfigImage) RawConfigFile() ([]byte, error) { return i.config, nil }
func (i *rawConfigImage) ConfigName() (v1.Hash, error)   { return i.manifest.Config.Digest, nil }
func (i *rawConfigImage) ConfigFile() (*v1.ConfigFile, error) {
	return v1.ParseConfigFile(bytes.NewReader(i.config))
}
func (i *rawConfigImage) Manifest() (*v1.Manifest, error) { return i.manifest.DeepCopy(), nil }
func (i *rawConfigImage) RawManifest() ([]byte, error)    { return i.rawManifest, nil }
func (i *rawConfigImage) Size() (int64, error)            { return int64(len(i.rawManifest)), nil }
func (i *rawConfigImage) Digest() (v1.Hash, error) {
	h, _, err := v1.SHA256(bytes.NewReader(i.rawManifest))
	return h, err
}
