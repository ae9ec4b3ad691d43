package pin

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

func TestPinFromLedger(t *testing.T) {
	dir := t.TempDir()
	web, pg := digestOf('1'), digestOf('2')
	ledger := `{"images":[
  {"name":"web","destinations":[
    {"ref":"ghcr.io/acme/web@` + web.String() + `","tags":["1.4.2","latest"]},
    {"ref":"docker.io/acme/web@` + web.String() + `","tags":["1.4.2"]}]},
  {"name":"db","destinations":[{"ref":"postgres@` + pg.String() + `","tags":["16.3"]}]}
], "extra": "ignored"}`
	lp := writeFile(t, dir, "dist/release.json", ledger)
	p := writeFile(t, dir, "deploy/app.yaml", `apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      containers:
      - image: ghcr.io/acme/web:1.4.2
      - image: acme/web:1.4.2
      - image: docker.io/library/postgres:16.3
`)
	l, err := LoadLedger(context.Background(), lp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Pin(context.Background(), []string{p}, l); err != nil {
		t.Fatal(err)
	}
	got := readFile(t, p)
	for _, w := range []string{
		"- image: ghcr.io/acme/web:1.4.2@" + web.String() + "\n",
		"- image: acme/web:1.4.2@" + web.String() + "\n",
		"- image: docker.io/library/postgres:16.3@" + pg.String() + "\n",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in\n%s", w, got)
		}
	}

	// A reference the ledger does not hold: an error naming it, nothing written.
	q := writeFile(t, dir, "deploy/other.yaml", "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: ghcr.io/acme/web:9\n")
	_, err = Pin(context.Background(), []string{q}, l)
	if !errors.Is(err, ErrNotInLedger) || !strings.Contains(err.Error(), q+":5:12") || !strings.Contains(err.Error(), "ghcr.io/acme/web:1.4.2") {
		t.Errorf("err = %v", err)
	}
	if !strings.HasSuffix(readFile(t, q), "ghcr.io/acme/web:9\n") {
		t.Error("file changed")
	}
	// Digest references resolve to themselves.
	d, _ := name.NewDigest("ghcr.io/acme/x@" + pg.String())
	if h, err := l.Resolve(context.Background(), d); err != nil || h != pg {
		t.Errorf("digest: %v %v", h, err)
	}
}

func TestLedgerErrors(t *testing.T) {
	for _, tc := range []struct{ name, json, want string }{
		{"not json", "{", "parsing ledger x.json"},
		{"tag ref", `{"images":[{"name":"a","destinations":[{"ref":"ghcr.io/a/b:1","tags":["1"]}]}]}`, "images[0].destinations[0].ref"},
		{"bad tag", `{"images":[{"name":"a","destinations":[{"ref":"ghcr.io/a/b@` + digestOf('3').String() + `","tags":["no spaces"]}]}]}`, `tag "no spaces"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseLedger("x.json", []byte(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := LoadLedger(context.Background(), filepath.Join(t.TempDir(), "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
}

// A release ledger also lists oci: layouts; they are not registry images
// and are skipped.
func TestLedgerSkipsLayouts(t *testing.T) {
	d := "sha256:" + strings.Repeat("c", 64)
	l, err := ParseLedger("release.json", []byte(`{"images":[{"name":"a","destinations":[{"ref":"oci:dist/a@`+d+`","tags":[]},{"ref":"ghcr.io/acme/a@`+d+`","tags":["1"]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := name.ParseReference("ghcr.io/acme/a:1")
	if got, err := l.Resolve(context.Background(), ref); err != nil || got.String() != d {
		t.Errorf("Resolve = %v, %v", got, err)
	}
}

// A newer release's ledger moves deploy files pinned to the previous one:
// recorded tags follow their new digest, older exact versions move to the
// released version, and everything else stays.
func TestPinFromLedgerMovesEarlierRelease(t *testing.T) {
	dir := t.TempDir()
	old, rel, other := digestOf('1'), digestOf('2'), digestOf('3')
	ledger := `{"version":"1.5.0","images":[{"name":"web","destinations":[
    {"ref":"ghcr.io/acme/web@` + rel.String() + `","tags":["1.5.0","1.5","latest"]},
    {"ref":"ghcr.io/acme/api@` + rel.String() + `","tags":["v1.5.0"]}]}]}`
	lp := writeFile(t, dir, "dist/release.json", ledger)
	src := `apiVersion: v1
kind: Pod
spec:
  containers:
  - image: ghcr.io/acme/web:1.4.2@` + old.String() + `
  - image: ghcr.io/acme/web:latest@` + old.String() + `
  - image: ghcr.io/acme/web:1.4@` + old.String() + `
  - image: ghcr.io/acme/web:1.6.0@` + old.String() + `
  - image: ghcr.io/acme/web:1.5.0@` + rel.String() + `
  - image: ghcr.io/acme/api:v1.4.9@` + old.String() + `
  - image: ghcr.io/acme/api:1.4.9@` + old.String() + `
  - image: ghcr.io/acme/other:1.0.0@` + other.String() + `
`
	p := writeFile(t, dir, "deploy/pod.yaml", src)
	values := writeFile(t, dir, "deploy/values.yaml", "image:\n  repository: ghcr.io/acme/web\n  tag: \"1.4.2\"\n  digest: "+old.String()+"\nsidecar:\n  image:\n    repository: ghcr.io/acme/web\n    tag: latest\n    digest: "+old.String()+"\n")
	l, err := LoadLedger(context.Background(), lp)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Pin(context.Background(), []string{p, values}, l)
	if err != nil {
		t.Fatal(err)
	}
	want := `apiVersion: v1
kind: Pod
spec:
  containers:
  - image: ghcr.io/acme/web:1.5.0@` + rel.String() + `
  - image: ghcr.io/acme/web:latest@` + rel.String() + `
  - image: ghcr.io/acme/web:1.4@` + old.String() + `
  - image: ghcr.io/acme/web:1.6.0@` + old.String() + `
  - image: ghcr.io/acme/web:1.5.0@` + rel.String() + `
  - image: ghcr.io/acme/api:v1.5.0@` + rel.String() + `
  - image: ghcr.io/acme/api:1.4.9@` + old.String() + `
  - image: ghcr.io/acme/other:1.0.0@` + other.String() + `
`
	if got := readFile(t, p); got != want {
		t.Errorf("pod.yaml:\n%s\nwant:\n%s", got, want)
	}
	// In an image map the tag entry is the user's: a recorded tag's digest
	// follows, an older version stays.
	wantValues := "image:\n  repository: ghcr.io/acme/web\n  tag: \"1.4.2\"\n  digest: " + old.String() + "\nsidecar:\n  image:\n    repository: ghcr.io/acme/web\n    tag: latest\n    digest: " + rel.String() + "\n"
	if got := readFile(t, values); got != wantValues {
		t.Errorf("values.yaml:\n%s\nwant:\n%s", got, wantValues)
	}
	if len(res.Changes) != 4 {
		t.Errorf("%d changes, want 4: %+v", len(res.Changes), res.Changes)
	}

	// Running it again changes nothing.
	res, err = Pin(context.Background(), []string{p, values}, l)
	if err != nil || len(res.Changes) != 0 {
		t.Errorf("second run: %d changes, %v", len(res.Changes), err)
	}
}

// A release candidate's ledger moves recorded tags only, never versions.
func TestPinFromPrereleaseLedgerMovesNoVersion(t *testing.T) {
	dir := t.TempDir()
	old, rc := digestOf('1'), digestOf('2')
	lp := writeFile(t, dir, "dist/release.json", `{"version":"1.5.0-rc.1","images":[{"name":"web","destinations":[
    {"ref":"ghcr.io/acme/web@`+rc.String()+`","tags":["1.5.0-rc.1"]}]}]}`)
	src := "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: ghcr.io/acme/web:1.4.2@" + old.String() + "\n"
	p := writeFile(t, dir, "deploy/pod.yaml", src)
	l, err := LoadLedger(context.Background(), lp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Pin(context.Background(), []string{p}, l); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, p); got != src {
		t.Errorf("changed:\n%s", got)
	}
}
