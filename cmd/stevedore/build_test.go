package main

import (
	"archive/tar"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

func TestBuildToLayoutThenCached(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipping: RUN needs root here")
	}
	base := registrytest.ServeBusybox(t)
	ctxDir := t.TempDir()
	df := "FROM " + base + "\nARG NAME\nCOPY hello.txt /hello.txt\nRUN echo \"$NAME\" >> /hello.txt\n"
	for n, c := range map[string]string{"Dockerfile": df, "hello.txt": "hi\n"} {
		if err := os.WriteFile(filepath.Join(ctxDir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "image")
	env := map[string]string{"SOURCE_DATE_EPOCH": "1700000000", "XDG_CACHE_HOME": t.TempDir()}
	iid := filepath.Join(t.TempDir(), "iid")
	args := []string{"build", ctxDir, "--output", "oci:" + out, "--tag", "v1", "--build-arg", "NAME=stevedore", "--iidfile", iid, "--json"}

	type output struct {
		Digest string
		Steps  []struct {
			Instruction string
			Status      string
			Reason      string
		}
	}
	first := stevedore(t, env, "", args...)
	if first.code != 0 {
		t.Fatalf("exit %d: %s", first.code, first.stderr)
	}
	var a output
	if err := json.Unmarshal([]byte(first.stdout), &a); err != nil {
		t.Fatalf("%v\n%s", err, first.stdout)
	}
	second := stevedore(t, env, "", args...)
	var b output
	if err := json.Unmarshal([]byte(second.stdout), &b); err != nil {
		t.Fatalf("%v\n%s", err, second.stdout)
	}
	if a.Digest == "" || a.Digest != b.Digest {
		t.Errorf("digests %q and %q should be equal", a.Digest, b.Digest)
	}
	for _, s := range b.Steps {
		if s.Status != "cached" {
			t.Errorf("second build ran %q: %s", s.Instruction, s.Reason)
		}
	}
	if data, err := os.ReadFile(iid); err != nil || string(data) != a.Digest {
		t.Errorf("--iidfile holds %q (%v), want %s", data, err, a.Digest)
	}
	// The layout holds the image under the tag.
	back := stevedore(t, nil, "", "publish", "--ledger", "", "--from", "oci:"+out+":v1", "--to", "oci:"+t.TempDir())
	if back.code != 0 || !strings.Contains(back.stdout, a.Digest) {
		t.Errorf("reading the built image back: exit %d %s %s", back.code, back.stdout, back.stderr)
	}

	// A failing RUN names the file, line and exit code, and shows output.
	if err := os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte(df+"RUN echo boom >&2; exit 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	failed := stevedore(t, env, "", append(args[:len(args)-1], "--progress", "quiet")...)
	if failed.code != exitFailed || !strings.Contains(failed.stderr, "Dockerfile:5") || !strings.Contains(failed.stderr, "exited with code 3") || !strings.Contains(failed.stderr, "boom") {
		t.Errorf("exit %d, stderr:\n%s", failed.code, failed.stderr)
	}
}

// What stevedore writes inside a context (the default key directory, a
// layout destination) never enters the image build makes of it, by the
// same rule release follows (pipeline.OwnOutputs).
func TestBuildKeepsOwnOutputsOutOfTheImage(t *testing.T) {
	ctxDir := t.TempDir()
	for n, c := range map[string]string{"Dockerfile": "FROM scratch\nCOPY . /ctx/\n", "hello.txt": "hi\n", ".stevedore/cosign.key": "not a key\n"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(ctxDir, n)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ctxDir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(ctxDir, "out")
	for range 2 { // the second build finds the first one's layout in its context
		if r := stevedore(t, map[string]string{"XDG_CACHE_HOME": t.TempDir()}, "", "build", ctxDir, "--progress", "quiet", "-t", "oci:"+out); r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
	}
	idx, err := layout.ImageIndexFromPath(out)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil || len(im.Manifests) == 0 {
		t.Fatalf("layout %s: %v %v", out, im, err)
	}
	img, err := idx.Image(im.Manifests[len(im.Manifests)-1].Digest)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, h.Name)
	}
	joined := strings.Join(files, " ")
	if !strings.Contains(joined, "ctx/hello.txt") || strings.Contains(joined, ".stevedore") || strings.Contains(joined, "ctx/out") {
		t.Errorf("image files %v: want ctx/hello.txt without .stevedore/ or the layout out/", files)
	}
}
