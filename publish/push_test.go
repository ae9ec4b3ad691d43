package publish

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/internal/faultproxy"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

func TestPublishLayoutToRegistry(t *testing.T) {
	ctx := testCtx(t)
	host := registrytest.InProcess(t)
	src, h := layoutWith(t, "v1", registrytest.Image(t, 3, 1024))

	dsts := []Reference{mustRef(t, host+"/team/app:edge"), mustRef(t, host+"/mirror/app")}
	res, err := Publish(ctx, src, dsts, []string{"1.2.3", "latest"})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if len(res.Destinations) != 2 {
		t.Fatalf("destinations = %+v", res.Destinations)
	}
	want0 := Destination{Ref: host + "/team/app@" + h.String(), Digest: h.String(), Tags: []string{"1.2.3", "edge", "latest"}}
	if got := res.Destinations[0]; got.Ref != want0.Ref || got.Digest != want0.Digest || !slices.Equal(got.Tags, want0.Tags) {
		t.Errorf("destination 0 = %+v, want %+v", got, want0)
	}
	if got := res.Destinations[1].Tags; !slices.Equal(got, []string{"1.2.3", "latest"}) {
		t.Errorf("destination 1 tags = %v (a destination without a tag gets only --tag values)", got)
	}
	for _, s := range []string{"team/app@" + h.String(), "team/app:edge", "team/app:1.2.3", "mirror/app:latest"} {
		if got, ok := remoteDigest(t, host+"/"+s); !ok || got != h {
			t.Errorf("%s resolves to %v (found %v), want %v", s, got, ok, h)
		}
	}
	if _, ok := remoteDigest(t, host+"/mirror/app:edge"); ok {
		t.Errorf("edge leaked to the other destination")
	}
	// The JSON shape the CLI prints.
	b, _ := json.Marshal(res)
	if !strings.Contains(string(b), `"destinations":[{"ref":`) {
		t.Errorf("json = %s", b)
	}
}

func TestPublishIndexChildrenByDigest(t *testing.T) {
	ctx := testCtx(t)
	host := registrytest.InProcess(t)
	ii := registrytest.Index(t, 3, 2, 512)
	src, h := layoutWith(t, "multi", ii)

	art, err := Load(ctx, src)
	if err != nil || !art.IsIndex() || art.Digest() != h {
		t.Fatalf("Load = %+v, %v", art.Descriptor, err)
	}
	if _, err := Publish(ctx, src, []Reference{mustRef(t, host+"/multi")}, []string{"v2"}); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	im, _ := ii.IndexManifest()
	for _, c := range im.Manifests {
		if got, ok := remoteDigest(t, host+"/multi@"+c.Digest.String()); !ok || got != c.Digest {
			t.Errorf("child %s (%s) missing", c.Digest, c.Platform)
		}
	}
	if got, ok := remoteDigest(t, host+"/multi:v2"); !ok || got != h {
		t.Errorf("v2 = %v, want %v", got, h)
	}
	// A child can be loaded from the layout by digest, too.
	child, err := Load(ctx, mustRef(t, "oci:"+src.Path()+"@"+im.Manifests[1].Digest.String()))
	if err != nil || child.IsIndex() || child.Digest() != im.Manifests[1].Digest {
		t.Errorf("loading child by digest: %v", err)
	}
}

func TestPublishRegistryToLayout(t *testing.T) {
	ctx := testCtx(t)
	host := registrytest.InProcess(t)
	src, h := layoutWith(t, "v1", registrytest.Image(t, 2, 256))
	if _, err := Publish(ctx, src, []Reference{mustRef(t, host+"/app:v1")}, nil); err != nil {
		t.Fatalf("Publish to registry: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	dst := mustRef(t, "oci:"+dir+":stable")
	for range 2 { // a re-publish must not duplicate index.json entries
		res, err := Publish(ctx, mustRef(t, host+"/app:v1"), []Reference{dst}, []string{"v1"})
		if err != nil {
			t.Fatalf("Publish to layout: %v", err)
		}
		if want := "oci:" + dir + "@" + h.String(); res.Destinations[0].Ref != want {
			t.Errorf("ref = %q, want %q", res.Destinations[0].Ref, want)
		}
	}
	im, err := readIndexJSON(dir)
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, d := range im.Manifests {
		if d.Digest != h {
			t.Errorf("unexpected entry %v", d)
		}
		tags = append(tags, d.Annotations[RefNameAnnotation])
	}
	slices.Sort(tags)
	if !slices.Equal(tags, []string{"stable", "v1"}) {
		t.Errorf("index.json tags = %v, want [stable v1]", tags)
	}
	for _, s := range []string{"oci:" + dir + ":v1", "oci:" + dir + ":stable", "oci:" + dir + "@" + h.String()} {
		a, err := Load(ctx, mustRef(t, s))
		if err != nil || a.Digest() != h {
			t.Errorf("Load(%s) = %v, %v", s, a.Descriptor.Digest, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
		t.Errorf("oci-layout: %v", err)
	}
}

// Registry to registry on the same (real) registry: layers are mounted from
// the source repository, so no blob byte crosses the wire.
func TestPublishRegistryToRegistryMounts(t *testing.T) {
	ctx := testCtx(t)
	d := registrytest.StartDistribution(t)
	px := faultproxy.New(t, "https://"+d.Host, d.Transport)
	opts := []Option{WithKeychain(Keychain("", map[string]authn.AuthConfig{px.Host: {Username: d.Username, Password: d.Password}}))}

	src, h := layoutWith(t, "v1", registrytest.Image(t, 3, 4096))
	if _, err := Publish(ctx, src, []Reference{mustRef(t, px.Host+"/src/app:v1")}, nil, opts...); err != nil {
		t.Fatalf("seeding: %v", err)
	}
	if px.BytesIn(http.MethodPatch, faultproxy.KindBlobUpload)+px.BytesIn(http.MethodPut, faultproxy.KindBlobUpload) == 0 {
		t.Fatalf("seeding sent no blob bytes: the counter is broken")
	}
	px.Reset()
	if _, err := Publish(ctx, mustRef(t, px.Host+"/src/app:v1"), []Reference{mustRef(t, px.Host+"/dst/app")}, []string{"v1"}, opts...); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if n := px.BytesIn("", faultproxy.KindBlobUpload); n != 0 {
		t.Errorf("registry→registry sent %d blob bytes, want 0 (mount)", n)
	}
	mounted := 0
	for _, e := range px.Entries() {
		if e.Method == http.MethodPost && e.Kind == faultproxy.KindBlobUpload && e.Status == http.StatusCreated {
			mounted++
		}
	}
	if mounted == 0 {
		t.Errorf("no cross-repository mount seen: %+v", px.Entries())
	}
	if got, ok := remoteDigest(t, px.Host+"/dst/app:v1", remote.WithAuth(&authn.Basic{Username: d.Username, Password: d.Password})); !ok || got != h {
		t.Errorf("dst/app:v1 = %v %v", got, ok)
	}
}

func TestPublishDistributionAuth(t *testing.T) {
	ctx := testCtx(t)
	d := registrytest.StartDistribution(t)
	src, h := layoutWith(t, "v1", registrytest.Image(t, 2, 1024))

	res, err := Publish(ctx, src, []Reference{mustRef(t, d.Host+"/team/app")}, []string{"v1"}, distOpts(d)...)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if res.Destinations[0].Digest != h.String() {
		t.Errorf("digest = %s", res.Destinations[0].Digest)
	}
	for _, s := range []string{d.Host + "/team/app@" + h.String(), d.Host + "/team/app:v1"} {
		a, err := Load(ctx, mustRef(t, s), distOpts(d)...)
		if err != nil || a.Digest() != h {
			t.Errorf("Load(%s) = %v, %v", s, a.Digest(), err)
		}
	}

	const wrong = "not-the-password-9f3b"
	bad := []Option{WithTransport(d.Transport), WithKeychain(Keychain("", map[string]authn.AuthConfig{d.Host: {Username: d.Username, Password: wrong}}))}
	_, err = Publish(ctx, src, []Reference{mustRef(t, d.Host+"/team/app")}, []string{"v2"}, bad...)
	if !errors.Is(err, ErrDenied) {
		t.Fatalf("wrong password: err = %v, want ErrDenied", err)
	}
	if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), d.Password) {
		t.Errorf("error leaks a password: %v", err)
	}
	if !strings.Contains(err.Error(), d.Host) {
		t.Errorf("error does not name the destination: %v", err)
	}
	// Anonymous cannot read either.
	if _, err := Load(ctx, mustRef(t, d.Host+"/team/app:v1"), WithTransport(d.Transport)); !errors.Is(err, ErrDenied) {
		t.Errorf("anonymous Load: %v, want ErrDenied", err)
	}
}

func TestPublishValidation(t *testing.T) {
	ctx := testCtx(t)
	src, _ := layoutWith(t, "v1", registrytest.Image(t, 1, 64))
	host := registrytest.InProcess(t)
	if _, err := Publish(ctx, src, nil, nil); !errors.Is(err, ErrBadReference) {
		t.Errorf("no destinations: %v", err)
	}
	if _, err := Publish(ctx, src, []Reference{mustRef(t, host+"/a")}, []string{"-bad"}); !errors.Is(err, ErrBadReference) {
		t.Errorf("bad tag: %v", err)
	}
	other := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("a", 64)}
	if _, err := Publish(ctx, src, []Reference{mustRef(t, host+"/a@"+other.String())}, nil); !errors.Is(err, ErrBadReference) {
		t.Errorf("pinned to another digest: %v", err)
	}
	if _, err := Load(ctx, mustRef(t, host+"/nothing:here")); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing image: %v", err)
	}
	_ = name.DefaultRegistry
}
