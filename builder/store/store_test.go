package store

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/sreevishnu07/stevedore/internal/faultproxy"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

func TestPullPlatformThenNothingTwice(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.InProcess(t)
	proxy := faultproxy.New(t, "http://"+reg, nil)
	ii := registrytest.Index(t, 3, 2, 256)
	ref, err := name.ParseReference(proxy.Host + "/base/img:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref, ii); err != nil {
		t.Fatal(err)
	}
	im, _ := ii.IndexManifest()
	var want v1.Hash
	for _, d := range im.Manifests {
		if d.Platform.Architecture == "arm64" {
			want = d.Digest
		}
	}

	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	proxy.Reset()
	img, err := s.Pull(ctx, ref, v1.Platform{OS: "linux", Architecture: "arm64"})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := img.Digest(); got != want {
		t.Fatalf("pulled %s, want the arm64 child %s", got, want)
	}
	if err := validate.Image(img); err != nil {
		t.Fatalf("stored image is not valid: %v", err)
	}
	if n := proxy.Count(http.MethodGet, faultproxy.KindBlob); n != 3 {
		t.Errorf("first pull fetched %d blobs, want 3 (config and two layers)", n)
	}

	// The second pull by tag only asks what the tag points at.
	proxy.Reset()
	if _, err := s.Pull(ctx, ref, v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}); err != nil {
		t.Fatal(err)
	}
	if got := len(proxy.Entries()); got > 2 || proxy.Count(http.MethodGet, faultproxy.KindBlob) != 0 || proxy.Count(http.MethodGet, faultproxy.KindManifest) != 0 {
		t.Errorf("second pull made requests %+v, want only a ping and a HEAD", proxy.Entries())
	}

	// By digest, the store needs no registry at all.
	offline, err := name.NewDigest("127.0.0.1:1/base/img@" + want.String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pull(ctx, offline, v1.Platform{OS: "linux", Architecture: "arm64"}); err != nil {
		t.Fatalf("pull by stored digest touched the network: %v", err)
	}

	// An unknown platform names what the index has.
	_, err = s.Pull(ctx, ref, v1.Platform{OS: "linux", Architecture: "s390x"})
	if !errors.Is(err, ErrNoPlatform) || !strings.Contains(err.Error(), "linux/arm/v7") {
		t.Errorf("err = %v, want ErrNoPlatform listing the index's platforms", err)
	}
}

func TestWriteBlobVerifiesDigest(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h, _, _ := v1.SHA256(strings.NewReader("right"))
	err = s.WriteBlob(h, strings.NewReader("wrong"))
	if !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("err = %v, want ErrDigestMismatch", err)
	}
	if s.Has(h) {
		t.Fatal("a blob that failed verification is visible")
	}
	left, _ := os.ReadDir(filepath.Dir(s.Path(h)))
	if len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
	if err := s.WriteBlob(h, strings.NewReader("right")); err != nil || !s.Has(h) {
		t.Fatalf("writing the right content: %v", err)
	}
}
