package registrytest

import (
	"net/http"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/layout"
)

func TestDistributionRequiresAuthOverTLS(t *testing.T) {
	d := StartDistribution(t)
	c := &http.Client{Transport: d.Transport}
	resp, err := c.Get("https://" + d.Host + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous /v2/ = %d, want 401", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, "https://"+d.Host+"/v2/", nil)
	req.SetBasicAuth(d.Username, d.Password)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("authenticated /v2/ = %d, want 200", resp.StatusCode)
	}
}

func TestInProcessAndLayout(t *testing.T) {
	host := InProcess(t)
	resp, err := http.Get("http://" + host + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	dir := filepath.Join(t.TempDir(), "l")
	h := WriteLayout(t, dir, "v1", Index(t, 2, 1, 64))
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	ii, _ := p.ImageIndex()
	im, _ := ii.IndexManifest()
	if len(im.Manifests) != 1 || im.Manifests[0].Digest != h || im.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != "v1" {
		t.Errorf("index.json = %+v", im.Manifests)
	}
}
