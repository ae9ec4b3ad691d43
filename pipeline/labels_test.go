package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/version"
)

// The pushed image carries the OCI keys as config labels and as manifest
// annotations; stevedore.yaml overrides the computed ones and the command
// line overrides stevedore.yaml.
func TestReleaseOCILabelsAndAnnotations(t *testing.T) {
	dir := repo(t)
	reg := registrytest.InProcess(t)
	signer, _ := testSigner(t)
	cfg := config(t, reg+"/acme/IMAGE")
	cfg.Labels = map[string]string{"org.opencontainers.image.title": "from-yaml", "com.example.team": "yaml"}
	cfg.Annotations = map[string]string{"com.example.note": "yaml"}
	info := version.RepoInfo{Name: "app-repo", Description: "an app", URL: "https://github.com/acme/app", License: "MIT"}
	rep, err := Release(context.Background(), cfg, releaseOpts(t, dir, signer,
		WithRepository(info), WithLabels(map[string]string{"com.example.team": "flag"}))...)
	if err != nil {
		t.Fatal(err)
	}
	cf, m := pushedApp(t, reg, rep)
	wantLabels := map[string]string{
		"org.opencontainers.image.source":   "https://github.com/acme/app",
		"org.opencontainers.image.url":      "https://github.com/acme/app",
		"org.opencontainers.image.version":  "1.1.0",
		"org.opencontainers.image.revision": rep.Plan.Commit,
		"org.opencontainers.image.licenses": "MIT",
		"org.opencontainers.image.created":  "2023-11-14T22:13:20.000Z", // the commit time
		"org.opencontainers.image.title":    "from-yaml",
		"com.example.team":                  "flag",
	}
	for k, v := range wantLabels {
		if got := cf.Config.Labels[k]; got != v {
			t.Errorf("config label %s = %q, want %q", k, got, v)
		}
	}
	wantAnn := map[string]string{
		"org.opencontainers.image.source":  "https://github.com/acme/app",
		"org.opencontainers.image.title":   "app-repo",
		"org.opencontainers.image.version": "1.1.0",
		"com.example.note":                 "yaml",
	}
	for k, v := range wantAnn {
		if got := m.Annotations[k]; got != v {
			t.Errorf("manifest annotation %s = %q, want %q", k, got, v)
		}
	}
}

// pushedApp reads back the config and manifest of the app image rep
// released to reg.
func pushedApp(t *testing.T, reg string, rep *Report) (*v1.ConfigFile, *v1.Manifest) {
	t.Helper()
	ref, err := name.ParseReference(reg + "/acme/app@" + rep.Ledger.Images[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	return cf, m
}

// With SOURCE_DATE_EPOCH (WithCreated) the created label and annotation
// give that time, not the commit's, as the image config does.
func TestReleaseCreatedFollowsSourceDateEpoch(t *testing.T) {
	dir := repo(t)
	reg := registrytest.InProcess(t)
	signer, _ := testSigner(t)
	cfg := config(t, reg+"/acme/IMAGE")
	epoch := time.Unix(1600000000, 0)
	rep, err := Release(context.Background(), cfg, releaseOpts(t, dir, signer, WithCreated(epoch))...)
	if err != nil {
		t.Fatal(err)
	}
	cf, m := pushedApp(t, reg, rep)
	const want = "2020-09-13T12:26:40.000Z"
	if got := cf.Config.Labels["org.opencontainers.image.created"]; got != want {
		t.Errorf("created label = %q, want %q (SOURCE_DATE_EPOCH)", got, want)
	}
	if got := m.Annotations["org.opencontainers.image.created"]; got != want {
		t.Errorf("created annotation = %q, want %q (SOURCE_DATE_EPOCH)", got, want)
	}
}
