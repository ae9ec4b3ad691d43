package sign

import (
	"bytes"
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
	ref := subject.Context().Digest(h.String())
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
		if err := remote.Put(ref, rawManifest{raw: raw, mt: types.OCIManifestSchema1}, ropts...); err != nil {
			return fail(err)
		}
		if usesTagSchema(subject, ropts) {
			time.Sleep(settleTime(time.Since(start)))
		}
		listed, err := referrerListed(subject, h, ropts)
		if err != nil {
			return fail(err)
		}
		if listed {
			return nil
		}
		if attempt == maxAttachAttempts-1 {
			return fail(fmt.Errorf("bundle %s written but missing from the referrers of %s after %d attempts (another writer keeps replacing the %s index)", h, subject, maxAttachAttempts, fallbackTag(subject)))
		}
		time.Sleep(time.Duration(rand.IntN(100)) * time.Millisecond)
	}
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
