package pipeline

import (
	"context"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/publish"
	"github.com/sreevishnu07/stevedore/sign"
)

func platformImage(t *testing.T, reg, os, arch string) name.Digest {
	t.Helper()
	img := registrytest.Image(t, 1, 128)
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = os, arch
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	ref, err := name.NewDigest(reg + "/ci/app@" + d.String())
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	return ref
}

func TestMergeAssemblesSignsThenTags(t *testing.T) {
	reg := registrytest.InProcess(t)
	amd := platformImage(t, reg, "linux", "amd64")
	arm := platformImage(t, reg, "linux", "arm64")
	dst, err := publish.ParseReference(reg + "/acme/app")
	if err != nil {
		t.Fatal(err)
	}
	signerFn, verifier := testSigner(t)
	signer, _ := signerFn(context.Background(), Signing{})
	res, err := Merge(context.Background(), []name.Digest{amd, arm}, []publish.Reference{dst}, []string{"1.2.0"}, signer, "", nil, []sign.Option{sign.WithTlogUpload(false)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tag, _ := name.ParseReference(reg + "/acme/app:1.2.0")
	idx, err := remote.Index(tag)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := idx.Digest(); d != res.Index {
		t.Errorf("tag names %s, merge reported %s", d, res.Index)
	}
	im, _ := idx.IndexManifest()
	got := map[string]v1.Hash{}
	for _, m := range im.Manifests {
		got[m.Platform.String()] = m.Digest
	}
	if got["linux/amd64"].String() != amd.DigestStr() || got["linux/arm64"].String() != arm.DigestStr() {
		t.Errorf("index children = %v", got)
	}
	subject := dst.Repository().Digest(res.Index.String())
	if _, err := sign.Verify(context.Background(), subject, sign.WithKey(verifier), sign.WithIgnoreTlog(true)); err != nil {
		t.Errorf("the merged index is not signed: %v", err)
	}
	// Two images for one platform are refused.
	if _, err := Merge(context.Background(), []name.Digest{amd, amd}, []publish.Reference{dst}, nil, nil, "", nil, nil, nil); err == nil {
		t.Error("two linux/amd64 images were merged")
	}
}
