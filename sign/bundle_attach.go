package sign

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
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

// attachBundle attaches a Sigstore bundle to subject in its registry (see
// newBundleReferrer). ggcr's writer records it in the referrers tag schema
// index when the registry has no referrers API.
func attachBundle(subject name.Digest, bundleJSON []byte, predicateType string, ropts ...remote.Option) error {
	h, err := checkDigest(subject)
	if err != nil {
		return err
	}
	return attach(context.Background(), &registryTarget{repo: subject.Context(), ro: ropts}, h, bundleJSON, predicateType)
}

// attach stores bundleJSON as a referrer of h in t.
func attach(ctx context.Context, t target, h v1.Hash, bundleJSON []byte, predicateType string) error {
	fail := func(err error) error { return fmt.Errorf("attaching bundle to %s@%s: %w", t, h, err) }
	desc, err := t.describe(ctx, h)
	if err != nil {
		return fail(err)
	}
	r, err := newBundleReferrer(desc, bundleJSON, predicateType)
	if err != nil {
		return fail(err)
	}
	if err := t.putReferrer(ctx, h, r); err != nil {
		return fail(err)
	}
	return nil
}

// referrer is a referrer manifest and the blobs it references, as stored
// in a registry or a layout.
type referrer struct {
	raw   []byte
	blobs []v1.Layer
}

func (r referrer) digest() v1.Hash {
	h, _, _ := v1.SHA256(bytesReader(r.raw))
	return h
}

// descriptor is how a referrers list names r: media type, digest and size,
// with the manifest's artifactType and annotations, as the referrers API
// answers (and as ORAS lists referrers in a layout's index.json).
func (r referrer) descriptor() (v1.Descriptor, error) {
	var m v1.Manifest
	if err := json.Unmarshal(r.raw, &m); err != nil {
		return v1.Descriptor{}, fmt.Errorf("reading referrer manifest: %w", err)
	}
	return v1.Descriptor{MediaType: types.OCIManifestSchema1, Size: int64(len(r.raw)), Digest: r.digest(), ArtifactType: m.ArtifactType, Annotations: m.Annotations}, nil
}

// newBundleReferrer is the referrer cosign v3 attaches for a Sigstore
// bundle: an OCI manifest with artifactType and one layer of the bundle
// media type, an empty config, subject set to the signed manifest, and the
// predicate type annotated.
func newBundleReferrer(subject v1.Descriptor, bundleJSON []byte, predicateType string) (referrer, error) {
	layer := static.NewLayer(bundleJSON, BundleArtifactType)
	config := static.NewLayer([]byte("{}"), emptyConfigType)
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
		Subject: &v1.Descriptor{MediaType: subject.MediaType, Size: subject.Size, Digest: subject.Digest},
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return referrer{}, err
	}
	return referrer{raw: raw, blobs: []v1.Layer{config, layer}}, nil
}

func (r *registryTarget) describe(_ context.Context, h v1.Hash) (v1.Descriptor, error) {
	desc, err := remote.Head(r.subject(h), r.ro...)
	if err != nil {
		return v1.Descriptor{}, err
	}
	return *desc, nil
}

// putReferrer uploads ref's blobs and manifest and checks the referrers of
// h list it.
func (r *registryTarget) putReferrer(_ context.Context, h v1.Hash, ref referrer) error {
	subject := r.subject(h)
	for _, l := range ref.blobs {
		if err := remote.WriteLayer(r.repo, l, r.ro...); err != nil {
			return err
		}
	}
	mh := ref.digest()
	at := r.repo.Digest(mh.String())
	// Without the referrers API, ggcr's writer updates the sha256-<hex>
	// index by read-modify-write, unconditionally (the distribution spec
	// defines no conditional write for manifests to retry on). A writer
	// whose read precedes our write and whose write follows it drops our
	// entry. Attachers in this process take turns; against other processes
	// the entry is read back only after a settling time longer than such a
	// read-modify-write (see settleTime), and written again (ggcr
	// re-reads and merges) until it is still listed then. What remains is
	// a competitor whose read-modify-write outlasts the settling time
	// (a registry stalling one client for seconds): its write, landing after
	// our last check, can still drop our entry.
	unlock := subjectLock(subject)
	defer unlock()
	for attempt := 0; ; attempt++ {
		start := time.Now()
		if err := remote.Put(at, rawManifest{raw: ref.raw, mt: types.OCIManifestSchema1}, r.ro...); err != nil {
			return err
		}
		if usesTagSchema(subject, r.ro) {
			time.Sleep(settleTime(time.Since(start)))
		}
		listed, err := referrerListed(subject, mh, r.ro)
		if err != nil {
			return err
		}
		if listed {
			return nil
		}
		if attempt == maxAttachAttempts-1 {
			return fmt.Errorf("bundle %s written but missing from the referrers of %s after %d attempts (another writer keeps replacing the %s index)", mh, subject, maxAttachAttempts, fallbackTag(subject))
		}
		time.Sleep(time.Duration(rand.IntN(100)) * time.Millisecond)
	}
}

// referrers lists the referrers of h: the referrers API, or the tag
// schema on registries without it (ggcr falls back).
func (r *registryTarget) referrers(_ context.Context, h v1.Hash) ([]v1.Descriptor, error) {
	// No artifactType filter: some registries (ggcr's own) report the
	// config media type as the artifactType, and the client-side filter
	// would drop the bundles; the manifest's own artifactType decides.
	idx, err := remote.Referrers(r.subject(h), r.ro...)
	if err != nil {
		return nil, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	return im.Manifests, nil
}

func (r *registryTarget) manifest(_ context.Context, h v1.Hash) (v1.Image, error) {
	return remote.Image(r.repo.Digest(h.String()), r.ro...)
}

// settleTime is how long a tag-schema write waits before checking that its
// entry survived concurrent writers: twice its own write (four round
// trips: the manifest, the referrers API probe, the index read and write),
// so about four times a competitor's read-to-write window against the same
// registry; at least minSettle (loopback writes take milliseconds, and a
// loaded machine delays a competitor by more), at most maxSettle (a write
// slower than that is a stalled registry, the window left open), plus
// jitter so racing writers do not check in lockstep.
func settleTime(put time.Duration) time.Duration {
	return min(max(2*put, minSettle), maxSettle) + time.Duration(rand.Int64N(int64(minSettle)))
}

const (
	minSettle = 50 * time.Millisecond
	maxSettle = 2 * time.Second
)

// usesTagSchema reports whether subject's referrers are kept in the
// sha256-<hex> tag index (no referrers API): only then can concurrent
// writers lose entries. ggcr writes the tag only on such registries. An
// answer other than "not found" counts as yes: waiting is the safe side.
func usesTagSchema(subject name.Digest, ropts []remote.Option) bool {
	_, err := remote.Head(subject.Context().Tag(fallbackTag(subject)), ropts...)
	var terr *transport.Error
	return !errors.As(err, &terr) || terr.StatusCode != http.StatusNotFound
}

const maxAttachAttempts = 10

var subjectLocks sync.Map // subject string → *sync.Mutex

// subjectLock serialises this process's attachers of one subject; tests
// replace it to race as separate processes do.
var subjectLock = lockSubject

func lockSubject(d name.Digest) func() {
	m, _ := subjectLocks.LoadOrStore(d.String(), &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// referrerListed reports whether subject's referrers (API or tag schema)
// list manifest h.
func referrerListed(subject name.Digest, h v1.Hash, ropts []remote.Option) (bool, error) {
	idx, err := remote.Referrers(subject, ropts...)
	if err != nil {
		return false, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return false, err
	}
	for _, d := range im.Manifests {
		if d.Digest == h {
			return true, nil
		}
	}
	return false, nil
}

// fallbackTag is the referrers tag schema's tag for d.
func fallbackTag(d name.Digest) string {
	alg, hex, _ := strings.Cut(d.DigestStr(), ":")
	return alg + "-" + hex
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
