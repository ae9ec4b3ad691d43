package publish

import (
	"net/http"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/internal/faultproxy"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// Publishing content and tags that are already there writes nothing: the
// tags are asked for (a HEAD each) and left alone. Everything one batch
// sends a repository goes over one authenticated transport: one ping,
// however many checks, blobs, manifests and tags. A tag that points
// elsewhere is still moved. Against a real registry with credentials.
func TestRepublishUnchangedWritesNoManifest(t *testing.T) {
	ctx := testCtx(t)
	d := registrytest.StartDistribution(t)
	px := faultproxy.New(t, "https://"+d.Host, d.Transport)
	opts := []Option{WithKeychain(Keychain("", map[string]authn.AuthConfig{px.Host: {Username: d.Username, Password: d.Password}}))}
	ref := mustRef(t, px.Host+"/acme/app")
	tags := []string{"1.0.0", "1.0", "latest"}
	images := []v1.Image{registrytest.Image(t, 1, 256), registrytest.Image(t, 2, 256)}
	publishOnce := func(img int) {
		t.Helper()
		art, err := NewArtifact(images[img])
		if err != nil {
			t.Fatal(err)
		}
		b := NewBatch(opts...)
		if err := b.CheckPush(ctx, ref); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Publish(ctx, art, []Reference{ref}, tags); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Tag(ctx, art, []Reference{ref}, tags); err != nil {
			t.Fatal(err)
		}
	}
	publishOnce(0)
	if n := px.Count(http.MethodPut, faultproxy.KindManifest); n != 1+len(tags) {
		t.Errorf("first publish: %d manifest PUTs, want %d (by digest, then each tag)", n, 1+len(tags))
	}
	if n := px.Count(http.MethodGet, faultproxy.KindPing); n != 1 {
		t.Errorf("first publish: %d pings, want 1", n)
	}

	px.Reset()
	publishOnce(0)
	if n := px.Count(http.MethodPut, ""); n != 0 {
		t.Errorf("unchanged: %d PUTs, want none", n)
	}
	if n := px.Count(http.MethodPatch, ""); n != 0 {
		t.Errorf("unchanged: %d PATCHes, want none", n)
	}
	if n := px.Count(http.MethodGet, faultproxy.KindPing); n != 1 {
		t.Errorf("unchanged: %d pings, want 1", n)
	}

	px.Reset()
	publishOnce(1)
	if n := px.Count(http.MethodPut, faultproxy.KindManifest); n != 1+len(tags) {
		t.Errorf("moved tags: %d manifest PUTs, want %d", n, 1+len(tags))
	}
	want, _ := images[1].Digest()
	auth := remote.WithAuth(&authn.Basic{Username: d.Username, Password: d.Password})
	for _, tag := range tags {
		if got, ok := remoteDigest(t, px.Host+"/acme/app:"+tag, auth); !ok || got != want {
			t.Errorf("%s = %v, want %s", tag, got, want)
		}
	}
}
