package sign

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v2/pkg/oci"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
)

// Tag suffixes cosign v2 uses for the images holding signatures and
// attestations of a digest.
const (
	SignatureSuffix   = "sig"
	AttestationSuffix = "att"
)

// maxDepth bounds nested indexes when signing recursively.
const maxDepth = 4

// AttachedTag is the tag of the image holding a digest's signatures
// ("sig") or attestations ("att"): sha256-<hex>.sig, as cosign names it.
func AttachedTag(h v1.Hash, suffix string) string {
	return h.Algorithm + "-" + h.Hex + "." + suffix
}

// target is where a subject and its signatures live: a registry repository
// or an OCI layout. Each keeps two stores, the legacy signature images
// under sha256-<hex>.sig/.att tags (read, write) and Sigstore bundle
// referrers (referrers, putReferrer).
type target interface {
	// subject names h in payloads and statements.
	subject(h v1.Hash) name.Digest
	// children lists the manifests index h references, recursively; nil
	// for an image.
	children(ctx context.Context, h v1.Hash) ([]v1.Hash, error)
	// read returns the signature image tagged tag, empty if there is none.
	read(ctx context.Context, tag string) (oci.Signatures, error)
	write(ctx context.Context, tag string, sigs oci.Signatures) error
	// describe returns the descriptor of manifest h, a referrer's subject.
	describe(ctx context.Context, h v1.Hash) (v1.Descriptor, error)
	// referrers lists the referrers of h: Sigstore bundles (cosign v3's
	// format) are OCI 1.1 referrers, in a registry as in a layout.
	referrers(ctx context.Context, h v1.Hash) ([]v1.Descriptor, error)
	// manifest opens manifest h (a referrer) as an image.
	manifest(ctx context.Context, h v1.Hash) (v1.Image, error)
	// putReferrer stores ref, a referrer of h, where referrers lists it.
	putReferrer(ctx context.Context, h v1.Hash, ref referrer) error
	String() string
}

type registryTarget struct {
	repo name.Repository
	ro   []remote.Option
	// written lists this run's tag writes, checked by settle; seen is the
	// manifest put last found holding all it was to write.
	written []tagWrite
	seen    v1.Hash
}

// tagWrite is one write of a signature tag: the signatures it held and
// how long its read-modify-write took.
type tagWrite struct {
	tag  string
	sigs oci.Signatures
	took time.Duration
	// seen is the tag's manifest when last looked at (written or read).
	seen v1.Hash
}

func (r *registryTarget) String() string                { return r.repo.Name() }
func (r *registryTarget) subject(h v1.Hash) name.Digest { return r.repo.Digest(h.String()) }

func (r *registryTarget) children(ctx context.Context, h v1.Hash) ([]v1.Hash, error) {
	desc, err := remote.Get(r.repo.Digest(h.String()), r.ro...)
	if err != nil {
		return nil, fmt.Errorf("reading %s@%s: %w", r.repo, h, err)
	}
	if !desc.MediaType.IsIndex() {
		return nil, nil
	}
	ii, err := desc.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("reading %s@%s: %w", r.repo, h, err)
	}
	return indexChildren(ii, 0)
}

func (r *registryTarget) read(_ context.Context, tag string) (oci.Signatures, error) {
	// ociremote.Signatures returns an empty list on 404, which is what
	// "not signed yet" looks like.
	sigs, err := ociremote.Signatures(r.repo.Tag(tag), r.ociOpts()...)
	if err != nil {
		return nil, fmt.Errorf("reading %s:%s: %w", r.repo, tag, err)
	}
	return sigs, nil
}

// write stores sigs under tag, merged into what the tag holds at that
// moment: read just before the write, not when the caller read it to
// sign, so the window in which another writer can drop ours is one read
// and one upload (signing, and checking existing signatures, take longer).
func (r *registryTarget) write(ctx context.Context, tag string, sigs oci.Signatures) error {
	_, err := r.put(ctx, tag, sigs)
	return err
}

// put is write reporting whether anything was missing and written.
func (r *registryTarget) put(ctx context.Context, tag string, sigs oci.Signatures) (bool, error) {
	start := time.Now()
	have, err := r.read(ctx, tag)
	if err != nil {
		return false, err
	}
	merged, changed, err := appendMissing(have, sigs)
	if err != nil {
		return false, fmt.Errorf("reading %s:%s: %w", r.repo, tag, err)
	}
	if !changed {
		if h, err := have.Digest(); err == nil {
			r.seen = h
		}
		return false, nil
	}
	// What ociremote.WriteSignatures does, minus its COSIGN_REPOSITORY
	// lookup: signatures live next to the image.
	if err := remote.Write(r.repo.Tag(tag), merged, r.ro...); err != nil {
		return false, fmt.Errorf("writing %s:%s: %w", r.repo, tag, err)
	}
	h, err := merged.Digest()
	if err != nil {
		return false, fmt.Errorf("writing %s:%s: %w", r.repo, tag, err)
	}
	r.written = append(r.written, tagWrite{tag: tag, sigs: sigs, took: time.Since(start), seen: h})
	return true, nil
}

// settle checks, once a run has written its tags, that each still holds
// what was written, and merges back what another writer dropped. A
// signature tag is updated by read-modify-write with no conditional write
// to retry on (the distribution spec defines none for manifests): a
// writer whose read precedes ours and whose write follows it drops our
// signature. As for bundles in the referrers tag schema (attachBundle),
// the tags are read back after a settling time longer than such a
// read-modify-write (see settleTime), and written again, merged with what
// is there now, until a whole settling time passes in which nobody wrote
// the tag and ours are still listed. One wait covers every tag of a run;
// with no other writer it is the only one. What remains is a competitor
// stalled between its read and its write for longer than that quiet
// settling time: its write, landing after our last check, can still drop
// ours.
func (r *registryTarget) settle(ctx context.Context) error {
	repairs := 0
	for round := 0; len(r.written) > 0; round++ {
		var slowest time.Duration
		for _, w := range r.written {
			slowest = max(slowest, w.took)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(settleTime(slowest)):
		}
		pending := r.written
		r.written = nil
		for _, w := range pending {
			desc, err := remote.Head(r.repo.Tag(w.tag), r.ro...)
			if err == nil && desc.Digest == w.seen {
				continue // quiet since we looked, and held ours then
			}
			wrote, err := r.put(ctx, w.tag, w.sigs)
			switch {
			case err != nil:
				return err
			case wrote:
				if repairs++; repairs == maxAttachAttempts {
					return fmt.Errorf("signatures written to %s:%s but missing from it after %d attempts (another writer keeps replacing the tag)", r.repo, w.tag, maxAttachAttempts)
				}
			case round < maxSettleRounds:
				// Ours are there, but someone wrote since: look again
				// once that writer, too, has settled.
				w.seen = r.seen
				r.written = append(r.written, w)
			}
		}
	}
	return nil
}

// maxSettleRounds bounds how long settle follows other writers' churn on
// a tag that keeps holding ours.
const maxSettleRounds = 50

// ociOpts pins the target repository so cosign's COSIGN_REPOSITORY
// environment override never applies inside the library.
func (r *registryTarget) ociOpts() []ociremote.Option {
	return []ociremote.Option{ociremote.WithRemoteOptions(r.ro...), ociremote.WithTargetRepository(r.repo)}
}

// indexChildren lists the manifests of ii and of its nested indexes.
func indexChildren(ii v1.ImageIndex, depth int) ([]v1.Hash, error) {
	if depth > maxDepth {
		return nil, errors.New("indexes nested too deeply")
	}
	im, err := ii.IndexManifest()
	if err != nil {
		return nil, err
	}
	var out []v1.Hash
	for _, d := range im.Manifests {
		if d.MediaType.IsIndex() {
			child, err := ii.ImageIndex(d.Digest)
			if err != nil {
				return nil, err
			}
			grand, err := indexChildren(child, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, grand...)
		}
		out = append(out, d.Digest)
	}
	return out, nil
}

// checkDigest refuses a zero or malformed name.Digest (a zero value
// compiles, and would sign nothing meaningful).
func checkDigest(d name.Digest) (v1.Hash, error) {
	if d.DigestStr() == "" {
		return v1.Hash{}, errors.New("no digest: pass a name.Digest (repository@sha256:…); tags are never signed")
	}
	h, err := v1.NewHash(d.DigestStr())
	if err != nil {
		return v1.Hash{}, fmt.Errorf("parsing digest %s: %w", d, err)
	}
	if !strings.EqualFold(h.Algorithm, "sha256") {
		return v1.Hash{}, fmt.Errorf("digest %s: only sha256 digests are supported", d)
	}
	return h, nil
}
