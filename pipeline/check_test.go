package pipeline

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/event"
	"github.com/sreevishnu07/stevedore/internal/faultproxy"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/publish"
)

type stepsRun []string

func (s *stepsRun) Emit(ev event.Event) {
	e, ok := ev.(event.Phase)
	if !ok {
		return
	}
	if !e.Done {
		*s = append(*s, e.Step)
	}
}

// A wrong password for a destination is found in the plan step, against a
// real Distribution registry with htpasswd auth over TLS: nothing is built,
// nothing is sent but the check, and the error names the registry and the
// login that fixes it. The right password passes the same check and leaves
// no upload behind.
func TestPlanChecksCredentialsBeforeBuilding(t *testing.T) {
	dir := repo(t)
	reg := registrytest.StartDistribution(t)
	px := faultproxy.New(t, "https://"+reg.Host, reg.Transport)
	signer, _ := testSigner(t)
	cfg := config(t, px.Host+"/acme/IMAGE", "oci:dist/IMAGE")
	keychain := func(password string) publish.Option {
		return publish.WithKeychain(publish.Keychain(t.TempDir(), map[string]authn.AuthConfig{px.Host: {Username: reg.Username, Password: password}}))
	}
	cache := filepath.Join(t.TempDir(), "cache")
	var steps stepsRun
	_, err := Release(context.Background(), cfg, append(releaseOpts(t, dir, signer,
		WithProgress(&steps), WithPublishOptions(keychain("not-the-password-42"))),
		WithBuildOptions(builder.WithCacheDir(cache)))...)
	var se *StepError
	if !errors.As(err, &se) || se.Step != StepPlan || !errors.Is(err, ErrDestination) || !errors.Is(err, publish.ErrDenied) {
		t.Fatalf("err = %v, want the plan step to refuse the destination", err)
	}
	msg := err.Error()
	for _, want := range []string{px.Host, "stevedore login " + px.Host, "docker login", "nothing was built"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error does not say %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, "not-the-password-42") {
		t.Errorf("the error shows the password: %s", msg)
	}
	if len(steps) > 0 {
		t.Errorf("steps ran after a refused plan: %v", steps)
	}
	if n := px.Count(http.MethodPatch, faultproxy.KindBlobUpload) + px.Count(http.MethodPut, ""); n != 0 {
		t.Errorf("%d uploads reached the registry after a refused plan", n)
	}
	if _, err := os.Stat(filepath.Join(cache, "blobs")); err == nil {
		t.Error("the build ran (its cache was created) after a refused plan")
	}

	// With the right password the check passes and the release goes on.
	px.Reset()
	rep, err := Release(context.Background(), cfg, releaseOpts(t, dir, signer, WithPublishOptions(keychain(reg.Password)))...)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Ledger.Images) != 2 {
		t.Errorf("ledger has %d images, want 2", len(rep.Ledger.Images))
	}
	if n := px.Count(http.MethodDelete, faultproxy.KindBlobUpload); n != 2 {
		t.Errorf("%d check uploads cancelled, want one per repository (2)", n)
	}
}
