package pin

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/publish"
)

// countingTransport counts manifest requests per path and the most that
// were in flight at once.
type countingTransport struct {
	mu       sync.Mutex
	paths    map[string]int
	inFlight atomic.Int32
	peak     atomic.Int32
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.Contains(req.URL.Path, "/manifests/") {
		c.mu.Lock()
		if c.paths == nil {
			c.paths = map[string]int{}
		}
		c.paths[req.Method+" "+req.URL.Path]++
		c.mu.Unlock()
		n := c.inFlight.Add(1)
		defer c.inFlight.Add(-1)
		for {
			p := c.peak.Load()
			if n <= p || c.peak.CompareAndSwap(p, n) {
				break
			}
		}
	}
	return http.DefaultTransport.RoundTrip(req)
}

func push(t testing.TB, ref string, x any) v1.Hash {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	var h v1.Hash
	switch v := x.(type) {
	case v1.Image:
		err = remote.Write(r, v)
		if err == nil {
			h, err = v.Digest()
		}
	case v1.ImageIndex:
		err = remote.WriteIndex(r, v)
		if err == nil {
			h, err = v.Digest()
		}
	}
	if err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	return h
}

func TestPinAgainstRegistry(t *testing.T) {
	host := registrytest.InProcess(t)
	single := push(t, host+"/acme/app:1", registrytest.Image(t, 1, 64))
	ii := registrytest.Index(t, 2, 1, 64)
	multi := push(t, host+"/acme/multi:1", ii)
	im, err := ii.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	arm := im.Manifests[1].Digest // linux/arm64/v8

	src := "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n" +
		"  - image: " + host + "/acme/app:1\n" +
		"  - image: " + host + "/acme/multi:1\n" +
		"  initContainers:\n  - image: " + host + "/acme/app:1\n"

	t.Run("index digest", func(t *testing.T) {
		dir := t.TempDir()
		p := writeFile(t, dir, "pod.yaml", src)
		ct := &countingTransport{}
		r := NewRegistryResolver(WithPublishOptions(publish.WithTransport(ct)))
		if _, err := Pin(context.Background(), []string{p}, r); err != nil {
			t.Fatal(err)
		}
		got := readFile(t, p)
		if strings.Count(got, host+"/acme/app:1@"+single.String()+"\n") != 2 || !strings.Contains(got, host+"/acme/multi:1@"+multi.String()+"\n") {
			t.Errorf("pinned file:\n%s", got)
		}
		// The same reference twice is looked up once.
		if n := ct.paths["HEAD /v2/acme/app/manifests/1"]; n != 1 {
			t.Errorf("HEAD app:1 %d times (%v)", n, ct.paths)
		}
	})

	t.Run("platform child", func(t *testing.T) {
		dir := t.TempDir()
		p := writeFile(t, dir, "pod.yaml", src)
		r := NewRegistryResolver(WithPlatform(v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}))
		if _, err := Pin(context.Background(), []string{p}, r); err != nil {
			t.Fatal(err)
		}
		got := readFile(t, p)
		if !strings.Contains(got, host+"/acme/multi:1@"+arm.String()+"\n") || !strings.Contains(got, host+"/acme/app:1@"+single.String()+"\n") {
			t.Errorf("pinned file:\n%s", got)
		}
		_, err := NewRegistryResolver(WithPlatform(v1.Platform{OS: "windows", Architecture: "amd64"})).Resolve(context.Background(), mustRef(t, host+"/acme/multi:1"))
		if !errors.Is(err, ErrResolve) || !strings.Contains(err.Error(), "no such platform") {
			t.Errorf("missing platform: %v", err)
		}
	})

	t.Run("missing tag", func(t *testing.T) {
		dir := t.TempDir()
		p := writeFile(t, dir, "docker-compose.yml", "services:\n  a:\n    image: "+host+"/acme/nope:1\n")
		_, err := Pin(context.Background(), []string{p}, NewRegistryResolver(WithPublishOptions(publish.WithRetry(1, 0))))
		if err == nil || !strings.Contains(err.Error(), p+":3:12") {
			t.Errorf("err = %v", err)
		}
	})

	t.Run("strict check", func(t *testing.T) {
		dir := t.TempDir()
		p := writeFile(t, dir, "pod.yaml", "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: "+host+"/acme/app:1@"+multi.String()+"\n")
		fs, err := Check(context.Background(), []string{p}, WithStrict(NewRegistryResolver()))
		if err != nil || len(fs) != 1 || fs[0].Rule != RuleTagMoved || fs[0].Digest != single.String() {
			t.Errorf("findings %+v, %v", fs, err)
		}
	})
}

func TestResolveAllBoundedAndDeduplicated(t *testing.T) {
	host := registrytest.InProcess(t)
	img := registrytest.Image(t, 1, 32)
	var refs []name.Reference
	for i := range 12 {
		tag := "v" + itoa(i)
		push(t, host+"/acme/many:"+tag, img)
		r := mustRef(t, host+"/acme/many:"+tag)
		refs = append(refs, r, r)
	}
	ct := &countingTransport{}
	got, err := ResolveAll(context.Background(), NewRegistryResolver(WithPublishOptions(publish.WithTransport(ct))), refs, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 12 {
		t.Errorf("resolved %d", len(got))
	}
	if p := ct.peak.Load(); p > 3 {
		t.Errorf("%d lookups in flight, limit 3", p)
	}
	for path, n := range ct.paths {
		if n != 1 {
			t.Errorf("%s requested %d times", path, n)
		}
	}
}

func mustRef(t testing.TB, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
