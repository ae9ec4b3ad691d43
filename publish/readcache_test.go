package publish

import (
	"net/http"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/internal/faultproxy"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// Reads through a batch's RemoteOptions are asked of the registry once
// until the batch writes to the repository: a tag read after the batch
// moved it shows where it points now. HEADs and misses always go out.
func TestBatchReadsOnceUntilAWrite(t *testing.T) {
	ctx := testCtx(t)
	px := faultproxy.New(t, "http://"+registrytest.InProcess(t), nil)
	ref := mustRef(t, px.Host+"/acme/app")
	b := NewBatch()
	ro, err := b.RemoteOptions(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag(px.Host + "/acme/app:sig")
	if _, err := remote.Get(tag, ro...); err == nil {
		t.Fatal("an absent tag was found")
	}
	first, second := registrytest.Image(t, 1, 64), registrytest.Image(t, 1, 64)
	if err := remote.Write(tag, first, ro...); err != nil {
		t.Fatal(err)
	}
	px.Reset()
	for range 3 {
		d, err := remote.Get(tag, ro...)
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := first.Digest(); d.Digest != want {
			t.Fatalf("got %s, want %s", d.Digest, want)
		}
		if _, err := remote.Head(tag, ro...); err != nil {
			t.Fatal(err)
		}
	}
	if n := px.Count(http.MethodGet, faultproxy.KindManifest); n != 1 {
		t.Errorf("3 reads of a tag: %d GETs, want 1", n)
	}
	if n := px.Count(http.MethodHead, faultproxy.KindManifest); n != 3 {
		t.Errorf("3 HEADs: %d sent, want 3", n)
	}

	if err := remote.Write(tag, second, ro...); err != nil {
		t.Fatal(err)
	}
	d, err := remote.Get(tag, ro...)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := second.Digest(); d.Digest != want {
		t.Errorf("after the batch moved the tag: got %s, want %s", d.Digest, want)
	}
}
