package publish

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/ledger"
)

func TestChooseFromLedger(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "image")
	a, b := registrytest.Image(t, 1, 64), registrytest.Image(t, 1, 65)
	registrytest.WriteLayout(t, dir, "", a)
	registrytest.WriteLayout(t, dir, "", b)
	da, _ := a.Digest()
	db, _ := b.Digest()
	r, err := ParseReference("oci:" + dir)
	if err != nil {
		t.Fatal(err)
	}
	at := func(d string, refs ...string) ledger.Image {
		img := ledger.Image{Name: "image", Digest: d}
		for _, ref := range refs {
			img.Destinations = append(img.Destinations, ledger.Destination{Ref: ref})
		}
		return img
	}
	other := filepath.Join(t.TempDir(), "image")
	for _, tc := range []struct {
		name   string
		ledger *ledger.Ledger
		want   string // the digest chosen; "" for an ambiguity error
		why    string
	}{
		{"no ledger", nil, "", ""},
		{"the release's image", &ledger.Ledger{Images: []ledger.Image{at(db.String(), "oci:"+dir+"@"+db.String(), "registry.example/app@"+db.String())}}, db.String(), ""},
		{"recorded at another layout", &ledger.Ledger{Images: []ledger.Image{at(db.String(), "oci:"+other+"@"+db.String())}}, "", "records none of them"},
		{"both recorded", &ledger.Ledger{Images: []ledger.Image{at(da.String(), "oci:"+dir+"@"+da.String()), at(db.String(), "oci:"+dir+"@"+db.String())}}, "", "records 2 of them"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch, err := ChooseFromLedger(r, tc.ledger, "dist/release.json")
			if tc.want != "" {
				d, pinned := ch.Ref.Digest()
				if err != nil || !ch.FromLedger || !pinned || d.String() != tc.want || ch.Images != 2 {
					t.Fatalf("got %+v, %v; want %s from the ledger", ch, err, tc.want)
				}
				return
			}
			var amb *AmbiguousLayoutError
			if !errors.As(err, &amb) || !errors.Is(err, ErrBadReference) {
				t.Fatalf("err = %v, want an *AmbiguousLayoutError", err)
			}
			if amb.Images != 2 || len(amb.Choices) != 2 || !strings.Contains(amb.Why, tc.why) {
				t.Errorf("got %+v", amb)
			}
			for _, d := range []string{da.String(), db.String()} {
				if !strings.Contains(err.Error(), "oci:"+dir+"@"+d) {
					t.Errorf("%v does not name %s", err, d)
				}
			}
		})
	}

	// A pinned reference, and a layout with one image, are left alone.
	pinned, _ := ParseReference("oci:" + dir + "@" + da.String())
	if ch, err := ChooseFromLedger(pinned, nil, ""); err != nil || ch.FromLedger || ch.Ref.String() != pinned.String() {
		t.Errorf("pinned: %+v, %v", ch, err)
	}
	one := filepath.Join(t.TempDir(), "one")
	registrytest.WriteLayout(t, one, "", a)
	r1, _ := ParseReference("oci:" + one)
	if ch, err := ChooseFromLedger(r1, nil, ""); err != nil || ch.FromLedger || ch.Ref.String() != r1.String() {
		t.Errorf("one image: %+v, %v", ch, err)
	}
}
