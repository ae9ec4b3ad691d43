package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

func TestPublishLayoutToRegistryAndBack(t *testing.T) {
	src := filepath.Join(t.TempDir(), "image")
	digest := registrytest.WriteLayout(t, src, "", registrytest.Index(t, 2, 1, 512))
	reg := registrytest.InProcess(t)
	out := filepath.Join(t.TempDir(), "copy")

	r := stevedore(t, nil, "", "publish", "--ledger", "", "--from", "oci:"+src,
		"--to", reg+"/team/app:edge", "--to", "oci:"+out, "--tag", "1.2.3", "--tag", "1.2", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var got struct {
		Destinations []struct {
			Ref    string   `json:"ref"`
			Digest string   `json:"digest"`
			Tags   []string `json:"tags"`
		} `json:"destinations"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, r.stdout)
	}
	if len(got.Destinations) != 2 {
		t.Fatalf("want 2 destinations, got %+v", got)
	}
	wantRef := reg + "/team/app@" + digest.String()
	if d := got.Destinations[0]; d.Ref != wantRef || d.Digest != digest.String() || strings.Join(d.Tags, ",") != "1.2,1.2.3,edge" {
		t.Errorf("registry destination = %+v, want ref %s and tags 1.2,1.2.3,edge", d, wantRef)
	}
	// Every tag names the index that was published, read back from the registry.
	for _, tag := range []string{"edge", "1.2.3", "1.2"} {
		ref, err := name.ParseReference(reg + "/team/app:" + tag)
		if err != nil {
			t.Fatal(err)
		}
		desc, err := remote.Head(ref)
		if err != nil {
			t.Fatalf("tag %s: %v", tag, err)
		}
		if desc.Digest != digest {
			t.Errorf("tag %s points at %s, want %s", tag, desc.Digest, digest)
		}
	}

	// And back from the registry into a layout, in plain text mode.
	back := filepath.Join(t.TempDir(), "back")
	r = stevedore(t, nil, "", "publish", "--ledger", "", "--from", reg+"/team/app:1.2.3", "--to", "oci:"+back+":v1")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if want := "oci:" + back + "@" + digest.String() + "\n"; r.stdout != want {
		t.Errorf("stdout = %q, want %q", r.stdout, want)
	}
	index, err := os.ReadFile(filepath.Join(back, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var im v1.IndexManifest
	if err := json.Unmarshal(index, &im); err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 || im.Manifests[0].Digest != digest || im.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != "v1" {
		t.Errorf("index.json should list only %s tagged v1:\n%s", digest, index)
	}
}

func TestPublishErrors(t *testing.T) {
	reg := registrytest.InProcess(t)
	missing := filepath.Join(t.TempDir(), "nope")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing layout", []string{"publish", "--from", "oci:" + missing, "--to", reg + "/a/b"}, exitFailed, missing},
		{"missing image", []string{"publish", "--from", reg + "/a/none:1", "--to", "oci:" + t.TempDir()}, exitFailed, reg + "/a/none:1"},
		{"bad tag", []string{"publish", "--from", "oci:" + missing, "--to", reg + "/a/b", "--tag", "-bad"}, exitUsage, `"-bad"`},
		{"zero jobs", []string{"publish", "--from", "oci:x", "--to", reg + "/a/b", "--jobs", "0"}, exitUsage, "--jobs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := stevedore(t, nil, "", tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d (want %d), stderr %q should name %q", r.code, tt.code, r.stderr, tt.want)
			}
		})
	}
}

func TestLoginStoresCredentialsWithoutEchoingThem(t *testing.T) {
	reg := registrytest.InProcess(t)
	cfg := t.TempDir()
	const secret = "s3cr3t-token-value"
	r := stevedore(t, map[string]string{"DOCKER_CONFIG": cfg}, secret+"\n", "login", reg, "-u", "robot", "--password-stdin")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, secret) {
		t.Errorf("output shows the secret: %q %q", r.stdout, r.stderr)
	}
	data, err := os.ReadFile(filepath.Join(cfg, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var conf struct {
		Auths map[string]struct {
			Auth string `json:"auth"`
		} `json:"auths"`
	}
	if err := json.Unmarshal(data, &conf); err != nil {
		t.Fatalf("config.json: %v\n%s", err, data)
	}
	if _, ok := conf.Auths[reg]; !ok || strings.Contains(string(data), secret) {
		t.Errorf("config.json should hold an auth entry for %s and no plaintext secret:\n%s", reg, data)
	}
}

// Several --from: every image goes to the repository by digest in one run;
// a tag would be ambiguous and is refused before anything is read.
func TestPublishSeveralSources(t *testing.T) {
	reg := registrytest.InProcess(t)
	args := []string{"publish", "--ledger", "", "--jobs", "2", "--to", reg + "/mirror/app", "--json"}
	var digests []v1.Hash
	for i := range 3 {
		src := filepath.Join(t.TempDir(), "image")
		digests = append(digests, registrytest.WriteLayout(t, src, "", registrytest.Image(t, 1, int64(256+i))))
		args = append(args, "--from", "oci:"+src)
	}
	r := stevedore(t, nil, "", args...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var got struct {
		Destinations []struct{ Ref, Digest string } `json:"destinations"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || len(got.Destinations) != 3 {
		t.Fatalf("output %v: %s", err, r.stdout)
	}
	for i, h := range digests {
		if got.Destinations[i].Digest != h.String() {
			t.Errorf("destination %d = %s, want %s (in --from order)", i, got.Destinations[i].Digest, h)
		}
		ref, _ := name.ParseReference(reg + "/mirror/app@" + h.String())
		if _, err := remote.Head(ref); err != nil {
			t.Errorf("%s not in the registry: %v", ref, err)
		}
	}
	for _, bad := range [][]string{
		{"publish", "--from", "oci:/nope/a", "--from", "oci:/nope/b", "--to", reg + "/m/app", "--tag", "v1"},
		{"publish", "--from", "oci:/nope/a", "--from", "oci:/nope/b", "--to", reg + "/m/app:v1"},
	} {
		r := stevedore(t, nil, "", bad...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "several images") {
			t.Errorf("%v: exit %d, stderr %q; want a usage error about the tag", bad, r.code, r.stderr)
		}
	}
}
