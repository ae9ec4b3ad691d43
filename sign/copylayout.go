package sign

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
)

// CopyLayoutSignatures is CopySignatures between two OCI layouts: the
// sha256-<hex>.sig and .att images of digest (and of every manifest it
// references) in the layout at from are listed under the same tags in the
// layout at to, which must already hold the image (publish it first), and
// its bundle referrers are listed there too. Signatures already in to are
// kept and missing ones appended; a tag that already holds them all, and
// a referrer already listed, are not written again. Returns what was
// written, as CopySignatures does.
func CopyLayoutSignatures(ctx context.Context, from string, digest v1.Hash, to string) ([]string, error) {
	o := makeOptions(ctx, nil)
	fail := func(err error) ([]string, error) {
		return nil, fmt.Errorf("copying signatures of oci:%s@%s to oci:%s: %w", from, digest, to, err)
	}
	src, err := openLayout(from, digest, o)
	if err != nil {
		return fail(err)
	}
	dst, err := openLayout(to, digest, o)
	if err != nil {
		return fail(err)
	}
	kids, err := src.children(ctx, digest)
	if err != nil {
		return fail(err)
	}
	var written []string
	for _, h := range append(kids, digest) {
		for _, suffix := range []string{SignatureSuffix, AttestationSuffix} {
			if err := ctx.Err(); err != nil {
				return written, err
			}
			tag := AttachedTag(h, suffix)
			img, err := taggedImage(src.path, tag)
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
			merged, changed, err := appendMissing(have, &layoutSigs{Image: img})
			if err != nil {
				return fail(err)
			}
			if !changed {
				continue
			}
			if err := dst.write(ctx, tag, merged); err != nil {
				return fail(err)
			}
			written = append(written, tag)
		}
		carried, err := copyBundles(ctx, src, dst, h)
		written = append(written, carried...)
		if err != nil {
			return fail(err)
		}
	}
	return written, nil
}

// copyBundles carries the bundle referrers of h from src to dst, each
// manifest unchanged (same digest), so one dst already lists is not
// written again. Returns "bundle <referrer digest> of <h>" for each
// written.
func copyBundles(ctx context.Context, src, dst target, h v1.Hash) ([]string, error) {
	found, err := findBundles(ctx, src, h, "")
	if err != nil || len(found) == 0 {
		return nil, err
	}
	have, err := dst.referrers(ctx, h)
	if err != nil {
		return nil, fmt.Errorf("listing referrers of %s@%s: %w", dst, h, err)
	}
	listed := map[v1.Hash]bool{}
	for _, d := range have {
		listed[d.Digest] = true
	}
	var written []string
	for _, f := range found {
		if listed[f.desc.Digest] {
			continue
		}
		listed[f.desc.Digest] = true
		ref, err := wholeReferrer(f.img)
		if err != nil {
			return written, fmt.Errorf("reading bundle %s@%s: %w", src, f.desc.Digest, err)
		}
		if err := dst.putReferrer(ctx, h, ref); err != nil {
			return written, fmt.Errorf("copying bundle %s to %s: %w", f.desc.Digest, dst, err)
		}
		written = append(written, "bundle "+f.desc.Digest.String()+" of "+h.String())
	}
	return written, nil
}

// wholeReferrer is img's manifest with its config and layers.
func wholeReferrer(img v1.Image) (referrer, error) {
	raw, err := img.RawManifest()
	if err != nil {
		return referrer{}, err
	}
	cfg, err := partial.ConfigLayer(img)
	if err != nil {
		return referrer{}, err
	}
	layers, err := img.Layers()
	if err != nil {
		return referrer{}, err
	}
	return referrer{raw: raw, blobs: append([]v1.Layer{cfg}, layers...)}, nil
}

// appendMissing adds src's signatures missing from have. With nothing in
// have, src itself is returned so the image keeps its digest.
func appendMissing(have oci.Signatures, src oci.Signatures) (oci.Signatures, bool, error) {
	haveList, err := have.Get()
	if err != nil {
		return nil, false, err
	}
	if len(haveList) == 0 {
		return src, true, nil
	}
	// A layer is identified by payload digest and signature: the same
	// payload signed by two keys is two signatures. (Attestations carry the
	// signature inside the payload, so their digest alone is unique.)
	present := map[string]bool{}
	for _, s := range haveList {
		k, err := sigKey(s)
		if err != nil {
			return nil, false, err
		}
		present[k] = true
	}
	srcList, err := src.Get()
	if err != nil {
		return nil, false, err
	}
	var missing []oci.Signature
	for _, s := range srcList {
		k, err := sigKey(s)
		if err != nil {
			return nil, false, err
		}
		if !present[k] {
			missing = append(missing, s)
		}
	}
	if len(missing) == 0 {
		return have, false, nil
	}
	merged, err := mutate.AppendSignatures(have, false, missing...)
	return merged, err == nil, err
}
