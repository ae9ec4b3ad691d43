package sign

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const emptyConfigType = "application/vnd.oci.empty.v1+json"

// rawManifest is a manifest ggcr writes as given.
type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }

// attachBundle attaches a Sigstore bundle to subject as cosign v3 does: an
// OCI manifest with artifactType and one layer of the bundle media type, an
// empty config, subject set to the signed manifest, and the predicate type
// annotated. ggcr's writer records it in the referrers tag schema index
// when the registry has no referrers API.
func attachBundle(subject name.Digest, bundleJSON []byte, predicateType string, ropts ...remote.Option) error {
	fail := func(err error) error { return fmt.Errorf("attaching bundle to %s: %w", subject, err) }
	desc, err := remote.Head(subject, ropts...)
	if err != nil {
		return fail(err)
	}
	layer := static.NewLayer(bundleJSON, BundleArtifactType)
	config := static.NewLayer([]byte("{}"), emptyConfigType)
	for _, l := range []v1.Layer{config, layer} {
		if err := remote.WriteLayer(subject.Context(), l, ropts...); err != nil {
			return fail(err)
		}
	}
	ld, _ := layer.Digest()
	cd, _ := config.Digest()
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  BundleArtifactType,
		Config:        v1.Descriptor{MediaType: emptyConfigType, Size: 2, Digest: cd, ArtifactType: BundleArtifactType},
		Layers:        []v1.Descriptor{{MediaType: BundleArtifactType, Size: int64(len(bundleJSON)), Digest: ld}},
		Annotations: map[string]string{
			"dev.sigstore.bundle.content":      "dsse-envelope",
			bundlePredicateAnnotation:          predicateType,
			"org.opencontainers.image.created": time.Now().UTC().Format(time.RFC3339),
		},
		Subject: &v1.Descriptor{MediaType: desc.MediaType, Size: desc.Size, Digest: desc.Digest},
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return fail(err)
	}
	h, _, err := v1.SHA256(bytesReader(raw))
	if err != nil {
		return fail(err)
	}
	if err := remote.Put(subject.Context().Digest(h.String()), rawManifest{raw: raw, mt: types.OCIManifestSchema1}, ropts...); err != nil {
		return fail(err)
	}
	return nil
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
