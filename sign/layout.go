package sign

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/empty"
	"github.com/sigstore/cosign/v2/pkg/oci/static"

	"github.com/sreevishnu07/stevedore/internal/ocilayout"
)

// refNameAnnotation tags index.json entries of an OCI layout (the same
// annotation publish, skopeo and crane use).
const refNameAnnotation = "org.opencontainers.image.ref.name"

// LayoutIdentity is the docker-reference a layout signature claims when
// WithClaimedIdentity is not given. The image has no registry name yet, so
// this deliberately names none (.invalid is reserved): pass
// WithClaimedIdentity("ghcr.io/OWNER/APP") when the destination is known,
// which verifiers that check the claimed identity require.
const LayoutIdentity = "stevedore.invalid/oci-layout"

// SignLayout signs the image or index digest held in the OCI layout at
// layoutPath (listed in index.json or a child of a listed index) and writes
// the signature image into the same layout, listed in index.json with
// sha256-<hex>.sig as its ref name: the tag cosign uses in registries, so
// CopySignatures (or any layout-to-registry copy of that tag) puts it where
// cosign verify looks. Options read: as Sign.
func SignLayout(ctx context.Context, layoutPath string, digest v1.Hash, s *Signer, opts ...Option) (*Result, error) {
	o := makeOptions(ctx, opts)
	t, err := openLayout(layoutPath, digest, o)
	if err != nil {
		return nil, fmt.Errorf("signing oci:%s@%s: %w", layoutPath, digest, err)
	}
	return run(ctx, t, digest, s, o, signOne)
}

// AttestLayout is Attest for a digest in an OCI layout; the attestation
// image is listed with ref name sha256-<hex>.att.
func AttestLayout(ctx context.Context, layoutPath string, digest v1.Hash, s *Signer, predicateType string, predicate []byte, opts ...Option) (*Result, error) {
	o := makeOptions(ctx, opts)
	t, err := openLayout(layoutPath, digest, o)
	if err != nil {
		return nil, fmt.Errorf("attesting oci:%s@%s: %w", layoutPath, digest, err)
	}
	return run(ctx, t, digest, s, o, attestStep(predicateType, predicate))
}

// SignLayoutBundles is SignBundles for a digest in an OCI layout: the
// bundle referrer is written into the layout as ORAS and regclient store
// referrers (see layoutTarget.putReferrer), where VerifyLayoutFormat and
// CopySignatures find it. The statement names the digest in the claimed
// identity's repository, as SignLayout's payload does. Options read: as
// SignBundles, plus WithClaimedIdentity; a re-run adds nothing.
func SignLayoutBundles(ctx context.Context, layoutPath string, digest v1.Hash, s *Signer, opts ...Option) (*Result, error) {
	o := makeOptions(ctx, opts)
	t, err := openLayout(layoutPath, digest, o)
	if err == nil {
		var res *Result
		if res, err = runBundle(ctx, t, digest, s, o, CosignSignPredicate, json.RawMessage(`{}`), signedAnnotations(o)); err == nil {
			return res, nil
		}
	}
	return nil, fmt.Errorf("signing oci:%s@%s as a bundle: %w", layoutPath, digest, err)
}

// AttestLayoutBundle is AttestBundle for a digest in an OCI layout, the
// referrer written as SignLayoutBundles writes it.
func AttestLayoutBundle(ctx context.Context, layoutPath string, digest v1.Hash, s *Signer, predicateType string, predicate []byte, opts ...Option) (*Result, error) {
	o := makeOptions(ctx, opts)
	t, err := openLayout(layoutPath, digest, o)
	if err == nil {
		var res *Result
		if res, err = attestBundle(ctx, t, digest, s, o, predicateType, predicate); err == nil {
			return res, nil
		}
	}
	return nil, fmt.Errorf("attesting oci:%s@%s as a bundle: %w", layoutPath, digest, err)
}

type layoutTarget struct {
	path layout.Path
	repo name.Repository
}

func openLayout(dir string, h v1.Hash, o *options) (*layoutTarget, error) {
	if h.Algorithm != "sha256" || len(h.Hex) != 64 {
		return nil, fmt.Errorf("digest %q: want sha256:<64 hex>", h)
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("opening OCI layout: %w", err)
	}
	id := LayoutIdentity
	if o.identity != "" {
		id = o.identity
	}
	ref, err := name.ParseReference(id)
	if err != nil {
		return nil, fmt.Errorf("claimed identity %q: %w", id, err)
	}
	t := &layoutTarget{path: p, repo: ref.Context()}
	ii, err := p.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("reading OCI layout: %w", err)
	}
	if _, err := find(ii, h, 0); err != nil {
		return nil, err
	}
	return t, nil
}

// find returns the descriptor of h in ii or in an index it references.
func find(ii v1.ImageIndex, h v1.Hash, depth int) (v1.Descriptor, error) {
	im, err := ii.IndexManifest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	for _, d := range im.Manifests {
		if d.Digest == h {
			return d, nil
		}
	}
	if depth < maxDepth {
		for _, d := range im.Manifests {
			if !d.MediaType.IsIndex() {
				continue
			}
			child, err := ii.ImageIndex(d.Digest)
			if err != nil {
				continue
			}
			if got, err := find(child, h, depth+1); err == nil {
				return got, nil
			}
		}
	}
	return v1.Descriptor{}, fmt.Errorf("%s is not in the layout (neither listed in index.json nor referenced by a listed index)", h)
}

func (l *layoutTarget) String() string                { return "oci:" + string(l.path) }
func (l *layoutTarget) subject(h v1.Hash) name.Digest { return l.repo.Digest(h.String()) }

func (l *layoutTarget) children(_ context.Context, h v1.Hash) ([]v1.Hash, error) {
	ii, err := l.path.ImageIndex()
	if err != nil {
		return nil, err
	}
	d, err := find(ii, h, 0)
	if err != nil {
		return nil, err
	}
	if !d.MediaType.IsIndex() {
		return nil, nil
	}
	child, err := ii.ImageIndex(h)
	if err != nil {
		return nil, err
	}
	return indexChildren(child, 0)
}

// taggedImage returns the image listed in the layout under tag, nil if none.
func taggedImage(p layout.Path, tag string) (v1.Image, error) {
	ii, err := p.ImageIndex()
	if err != nil {
		return nil, err
	}
	im, err := ii.IndexManifest()
	if err != nil {
		return nil, err
	}
	for i := len(im.Manifests) - 1; i >= 0; i-- {
		d := im.Manifests[i]
		if d.Annotations[refNameAnnotation] == tag {
			return ii.Image(d.Digest)
		}
	}
	return nil, nil
}

func (l *layoutTarget) read(_ context.Context, tag string) (oci.Signatures, error) {
	img, err := taggedImage(l.path, tag)
	if err != nil {
		return nil, fmt.Errorf("reading %s:%s: %w", l, tag, err)
	}
	if img == nil {
		return empty.Signatures(), nil
	}
	return &layoutSigs{Image: img}, nil
}

// write stores sigs under tag merged into what the tag holds when the
// layout's lock is taken (see ocilayout.Update), as registryTarget.write
// merges into what the registry holds: another process that signed the
// same digest since sigs was read keeps its signature.
func (l *layoutTarget) write(_ context.Context, tag string, sigs oci.Signatures) error {
	err := ocilayout.Update(string(l.path), func(im *v1.IndexManifest) error {
		var have oci.Signatures = empty.Signatures()
		for i := len(im.Manifests) - 1; i >= 0; i-- {
			if d := im.Manifests[i]; d.Annotations[refNameAnnotation] == tag {
				img, err := l.path.Image(d.Digest)
				if err != nil {
					return err
				}
				have = &layoutSigs{Image: img}
				break
			}
		}
		merged, changed, err := appendMissing(have, sigs)
		if err != nil || !changed {
			return err
		}
		if err := l.path.WriteImage(merged); err != nil {
			return err
		}
		desc, err := partial.Descriptor(merged)
		if err != nil {
			return err
		}
		im.Manifests = slices.DeleteFunc(im.Manifests, func(d v1.Descriptor) bool {
			return d.Annotations[refNameAnnotation] == tag
		})
		im.Manifests = append(im.Manifests, v1.Descriptor{
			MediaType:   desc.MediaType,
			Size:        desc.Size,
			Digest:      desc.Digest,
			Annotations: map[string]string{refNameAnnotation: tag},
		})
		return nil
	})
	if err != nil {
		return fmt.Errorf("writing %s:%s: %w", l, tag, err)
	}
	return nil
}

// layoutSigs reads a signature image stored in a layout. cosign's own
// reader for this (pkg/oci/layout) is tied to the `cosign save` layout
// format, which holds one image; stevedore layouts list many under tags.
type layoutSigs struct{ v1.Image }

// maxLayers matches cosign's bound on signatures per image.
const maxLayers = 1000

func (s *layoutSigs) Get() ([]oci.Signature, error) {
	m, err := s.Manifest()
	if err != nil {
		return nil, err
	}
	if len(m.Layers) > maxLayers {
		return nil, oci.NewMaxLayersExceeded(int64(len(m.Layers)), maxLayers)
	}
	out := make([]oci.Signature, 0, len(m.Layers))
	for _, d := range m.Layers {
		l, err := s.LayerByDigest(d.Digest)
		if err != nil {
			return nil, err
		}
		rc, err := l.Compressed()
		if err != nil {
			return nil, err
		}
		payload, err := io.ReadAll(io.LimitReader(rc, 64<<20))
		rc.Close()
		if err != nil {
			return nil, err
		}
		ann := maps.Clone(d.Annotations)
		if ann == nil {
			ann = map[string]string{}
		}
		b64 := ann[static.SignatureAnnotationKey]
		delete(ann, static.SignatureAnnotationKey)
		sig, err := static.NewSignature(payload, b64, static.WithLayerMediaType(d.MediaType), static.WithAnnotations(ann))
		if err != nil {
			return nil, err
		}
		out = append(out, sig)
	}
	return out, nil
}

// CopySignatures carries the signatures and attestations of digest (and of
// every manifest it references, for an index) from the OCI layout at
// layoutPath to the registry repository to, where cosign verify finds them.
// It runs after the image itself was pushed by digest.
//
// Signatures already in the registry are kept: layout signatures missing
// there are appended, and a tag whose registry image already holds them all
// is not written again (a re-run writes nothing). The layout's Sigstore
// bundle referrers are pushed unchanged as referrers of the same digest
// (the referrers API, or the referrers tag schema on registries without
// it), those the registry already lists skipped. Returns what was written:
// the tags (sha256-<hex>.sig) and "bundle <referrer digest> of <digest>".
// Options read: WithRemoteOptions.
func CopySignatures(ctx context.Context, layoutPath string, digest v1.Hash, to name.Repository, opts ...Option) ([]string, error) {
	o := makeOptions(ctx, opts)
	fail := func(err error) ([]string, error) {
		return nil, fmt.Errorf("copying signatures of oci:%s@%s to %s: %w", layoutPath, digest, to, err)
	}
	t, err := openLayout(layoutPath, digest, o)
	if err != nil {
		return fail(err)
	}
	kids, err := t.children(ctx, digest)
	if err != nil {
		return fail(err)
	}
	var written []string
	dst := &registryTarget{repo: to, ro: o.remote}
	for _, h := range append(kids, digest) {
		for _, suffix := range []string{SignatureSuffix, AttestationSuffix} {
			tag := AttachedTag(h, suffix)
			img, err := taggedImage(t.path, tag)
			if err != nil {
				return fail(err)
			}
			if img == nil {
				continue
			}
			have, err := dst.read(ctx, tag)
			if err != nil {
				return fail(err)
			}
			// With nothing there, the layout's image is pushed as is (same
			// digest).
			merged, changed, err := appendMissing(have, &layoutSigs{Image: img})
			if err != nil {
				return fail(fmt.Errorf("reading %s:%s: %w", to, tag, err))
			}
			if !changed {
				continue
			}
			if err := dst.write(ctx, tag, merged); err != nil {
				return fail(err)
			}
			written = append(written, tag)
		}
		carried, err := copyBundles(ctx, t, dst, h)
		written = append(written, carried...)
		if err != nil {
			return fail(err)
		}
	}
	if err := dst.settle(ctx); err != nil {
		return fail(err)
	}
	return written, nil
}

func sigKey(s oci.Signature) (string, error) {
	d, err := s.Digest()
	if err != nil {
		return "", err
	}
	b64, err := s.Base64Signature()
	if err != nil {
		return "", err
	}
	return d.String() + " " + b64, nil
}
