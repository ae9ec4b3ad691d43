package sign

import (
	"context"
	"errors"
	"fmt"
	"strings"

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

// target is where a subject and its signature images live: a registry
// repository or an OCI layout.
type target interface {
	// subject names h in payloads and statements.
	subject(h v1.Hash) name.Digest
	// children lists the manifests index h references, recursively; nil
	// for an image.
	children(ctx context.Context, h v1.Hash) ([]v1.Hash, error)
	// read returns the signature image tagged tag, empty if there is none.
	read(ctx context.Context, tag string) (oci.Signatures, error)
	write(ctx context.Context, tag string, sigs oci.Signatures) error
	String() string
}

type registryTarget struct {
	repo name.Repository
	ro   []remote.Option
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

func (r *registryTarget) write(_ context.Context, tag string, sigs oci.Signatures) error {
	// What ociremote.WriteSignatures does, minus its COSIGN_REPOSITORY
	// lookup: signatures live next to the image.
	if err := remote.Write(r.repo.Tag(tag), sigs, r.ro...); err != nil {
		return fmt.Errorf("writing %s:%s: %w", r.repo, tag, err)
	}
	return nil
}

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
