package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/internal/schematest"
	"github.com/sreevishnu07/stevedore/ledger"
)

// quickstartProject is the README quickstart's project: a Dockerfile, its
// file and a deploy file naming app (a repository on a new registry) at
// 1.3.0.
func quickstartProject(t *testing.T) (dir, app string) {
	t.Helper()
	dir = t.TempDir()
	app = registrytest.InProcess(t) + "/owner/app"
	for n, c := range map[string]string{
		"Dockerfile":      "FROM scratch\nCOPY hello.txt /\n",
		"hello.txt":       "hi\n",
		"deploy/app.yaml": "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: app\n    image: " + app + ":1.3.0\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, n)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, app
}

// The README's quickstart sequence, run as written in the project
// directory: release into a layout, publish it with a version tag, pin the
// deploy files from dist/release.json.
func TestReleasePublishPinSequence(t *testing.T) {
	dir, app := quickstartProject(t)
	schema, err := filepath.Abs("../../ledger.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	env := map[string]string{"XDG_CACHE_HOME": t.TempDir(), "COSIGN_PASSWORD": "correct horse battery"}
	for _, args := range [][]string{
		{"release"},
		{"publish", "--from", "oci:dist/image", "--to", app, "--tag", "1.3.0"},
		{"pin", "--from", "dist/release.json", "--write", "deploy/"},
	} {
		if r := stevedore(t, env, "", args...); r.code != 0 {
			t.Fatalf("stevedore %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	ref, _ := name.ParseReference(app + ":1.3.0")
	desc, err := remote.Head(ref)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile("deploy/app.yaml")
	if want := "image: " + app + ":1.3.0@" + desc.Digest.String() + "\n"; !strings.HasSuffix(string(got), want) {
		t.Errorf("deploy/app.yaml:\n%s\nwant it to end %q", got, want)
	}

	// The ledger is the release's, with the registry destination added to
	// its image, and matches the shipped schema.
	data, err := os.ReadFile("dist/release.json")
	if err != nil {
		t.Fatal(err)
	}
	schematest.Validate(t, schema, data)
	l, err := ledger.Parse("dist/release.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Images) != 1 || len(l.Images[0].Destinations) != 2 || len(l.Images[0].SBOMs) != 1 {
		t.Fatalf("ledger:\n%s", data)
	}
	if d := l.Images[0].Destinations[1]; d.Ref != app+"@"+desc.Digest.String() || strings.Join(d.Tags, ",") != "1.3.0" {
		t.Errorf("published destination %+v", d)
	}

	// Publishing again records nothing twice; --ledger "" records nothing.
	if r := stevedore(t, env, "", "publish", "--from", "oci:dist/image", "--to", app, "--tag", "1.3.0", "--tag", "1.3"); r.code != 0 {
		t.Fatalf("publish again: exit %d\n%s", r.code, r.stderr)
	}
	if r := stevedore(t, env, "", "publish", "--ledger", "", "--from", "oci:dist/image", "--to", app, "--tag", "1"); r.code != 0 {
		t.Fatalf("publish --ledger '': exit %d\n%s", r.code, r.stderr)
	}
	l, err = ledger.Read("dist/release.json")
	if err != nil {
		t.Fatal(err)
	}
	if d := l.Images[0].Destinations; len(d) != 2 || strings.Join(d[1].Tags, ",") != "1.3,1.3.0" {
		t.Errorf("destinations after re-publishing: %+v", d)
	}
}

// A ledger publish cannot read fails before anything is published.
func TestPublishRefusesUnreadableLedger(t *testing.T) {
	src := filepath.Join(t.TempDir(), "image")
	registrytest.WriteLayout(t, src, "", registrytest.Image(t, 1, 64))
	reg := registrytest.InProcess(t)
	bad := filepath.Join(t.TempDir(), "release.json")
	if err := os.WriteFile(bad, []byte(`{"schemaVersion": 99, "images": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := stevedore(t, nil, "", "publish", "--ledger", bad, "--from", "oci:"+src, "--to", reg+"/acme/app", "--tag", "1")
	if r.code != exitUsage || !strings.Contains(r.stderr, bad) || !strings.Contains(r.stderr, "--ledger") {
		t.Errorf("exit %d: %s", r.code, r.stderr)
	}
	if ref, _ := name.ParseReference(reg + "/acme/app:1"); func() bool { _, err := remote.Head(ref); return err == nil }() {
		t.Error("published despite the unreadable ledger")
	}
}

// The README quickstart after a second release into the same layout: the
// layout then holds both releases' images, and publish takes the one the
// ledger records, saying which. With no ledger to decide, the error names
// the --from choices to type.
func TestQuickstartPublishAfterSecondRelease(t *testing.T) {
	dir, app := quickstartProject(t)
	t.Chdir(dir)
	env := map[string]string{"XDG_CACHE_HOME": t.TempDir(), "COSIGN_PASSWORD": "correct horse battery"}
	if r := stevedore(t, env, "", "release"); r.code != 0 {
		t.Fatalf("first release: exit %d\n%s", r.code, r.stderr)
	}
	first, err := ledger.Read("dist/release.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("hello.txt", []byte("hello again\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := stevedore(t, env, "", "release"); r.code != 0 {
		t.Fatalf("second release: exit %d\n%s", r.code, r.stderr)
	}
	second, err := ledger.Read("dist/release.json")
	if err != nil {
		t.Fatal(err)
	}
	want := second.Images[0].Digest
	if first.Images[0].Digest == want {
		t.Fatalf("both releases made %s; the test needs two images in the layout", want)
	}

	// --ledger "": nothing decides, and the error says what to type.
	r := stevedore(t, env, "", "publish", "--ledger", "", "--from", "oci:dist/image", "--destination", app, "--tag", "1.3.0")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--from oci:dist/image@"+want) || !strings.Contains(r.stderr, "--from oci:dist/image@"+first.Images[0].Digest) {
		t.Errorf("publish with no ledger: exit %d, want %d naming both --from choices:\n%s", r.code, exitUsage, r.stderr)
	}

	// The README's commands, as printed.
	r = stevedore(t, env, "", "publish", "--from", "oci:dist/image", "--destination", app, "--tag", "1.3.0")
	if r.code != 0 {
		t.Fatalf("publish: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "dist/release.json") {
		t.Errorf("publish does not say which digest it took (%s) and from where:\n%s", want, r.stderr)
	}
	ref, _ := name.ParseReference(app + ":1.3.0")
	desc, err := remote.Head(ref)
	if err != nil {
		t.Fatal(err)
	}
	if desc.Digest.String() != want {
		t.Errorf("published %s, want the second release's %s", desc.Digest, want)
	}
	if r := stevedore(t, env, "", "verify", app+"@"+want, "--key", ".stevedore/cosign.pub"); r.code != 0 {
		t.Errorf("verify: exit %d\n%s", r.code, r.stderr)
	}
	if r := stevedore(t, env, "", "pin", "--from", "dist/release.json", "--write", "deploy/"); r.code != 0 {
		t.Fatalf("pin: exit %d\n%s", r.code, r.stderr)
	}
	got, _ := os.ReadFile("deploy/app.yaml")
	if w := "image: " + app + ":1.3.0@" + want + "\n"; !strings.HasSuffix(string(got), w) {
		t.Errorf("deploy/app.yaml:\n%s\nwant it to end %q", got, w)
	}
}

// Publishing another digest under an image name the ledger already
// records adds no second entry of that name: it is published, said to be
// unrecorded, and the ledger keeps the first.
func TestPublishOtherDigestSameNameNotRecordedTwice(t *testing.T) {
	reg := registrytest.InProcess(t)
	dir := t.TempDir()
	one, two := filepath.Join(dir, "one"), filepath.Join(dir, "two")
	first := registrytest.WriteLayout(t, one, "", registrytest.Image(t, 1, 64))
	second := registrytest.WriteLayout(t, two, "", registrytest.Image(t, 1, 65))
	led := filepath.Join(dir, "release.json")
	if r := stevedore(t, nil, "", "publish", "--ledger", led, "--from", "oci:"+one, "--destination", reg+"/acme/app", "--tag", "1.0.0"); r.code != 0 {
		t.Fatalf("first publish: exit %d: %s", r.code, r.stderr)
	}
	r := stevedore(t, nil, "", "publish", "--ledger", led, "--from", "oci:"+two, "--destination", reg+"/acme/app", "--tag", "1.1.0")
	if r.code != 0 {
		t.Fatalf("second publish: exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "not recorded") || !strings.Contains(r.stderr, first.String()) || !strings.Contains(r.stderr, "--ledger PATH") {
		t.Errorf("the second publish does not say it was left out of the ledger:\n%s", r.stderr)
	}
	ref, _ := name.ParseReference(reg + "/acme/app:1.1.0")
	if desc, err := remote.Head(ref); err != nil || desc.Digest != second {
		t.Errorf("1.1.0: %v %v, want %s published", desc, err, second)
	}
	l, err := ledger.Read(led)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Images) != 1 || l.Images[0].Name != "app" || l.Images[0].Digest != first.String() {
		t.Errorf("ledger images %+v, want only the first app", l.Images)
	}
}
