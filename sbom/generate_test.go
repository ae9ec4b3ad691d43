package sbom

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestGenerateNamesImageByDigest(t *testing.T) {
	orig := fixtureImage(t)
	digest, _ := orig.Digest()
	cfg, _ := orig.ConfigName()
	img := viaLayout(t, orig)

	t.Run("with repository", func(t *testing.T) {
		s, err := Generate(context.Background(), img, WithRepository(fixtureRepository(t)))
		if err != nil {
			t.Fatal(err)
		}
		if s.Digest != digest || s.Config != cfg {
			t.Errorf("digests = %s, %s; want %s, %s", s.Digest, s.Config, digest, cfg)
		}
		if want := fixtureRepo + "@" + digest.String(); s.Name() != want {
			t.Errorf("Name() = %q, want %q", s.Name(), want)
		}
		src := s.doc.Source
		if src.Name != fixtureRepo || src.Version != digest.String() {
			t.Errorf("source = %q %q, want %q %q", src.Name, src.Version, fixtureRepo, digest)
		}
		if !s.Created.Equal(fixtureTime) {
			t.Errorf("Created = %v, want the config's %v", s.Created, fixtureTime)
		}
	})

	t.Run("digest only", func(t *testing.T) {
		s, err := Generate(context.Background(), img)
		if err != nil {
			t.Fatal(err)
		}
		src := s.doc.Source
		if s.Name() != digest.String() || src.Name != digest.String() || src.Version != digest.String() {
			t.Errorf("Name() = %q, source = %q %q; want the digest %s", s.Name(), src.Name, src.Version, digest)
		}
	})

	t.Run("created option", func(t *testing.T) {
		at := time.Date(2030, 5, 6, 7, 8, 9, 500, time.FixedZone("x", 3600))
		s, err := Generate(context.Background(), img, WithCreated(at))
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Date(2030, 5, 6, 6, 8, 9, 0, time.UTC); !s.Created.Equal(want) || s.Created.Location() != time.UTC {
			t.Errorf("Created = %v, want %v", s.Created, want)
		}
	})
}

func TestGenerateGoBinary(t *testing.T) {
	img, syncVersion := goImage(t)
	s, err := Generate(context.Background(), viaLayout(t, img))
	if err != nil {
		t.Fatal(err)
	}
	var mods []string
	for _, p := range s.Packages() {
		if p.Type == "go-module" {
			mods = append(mods, p.Name+" "+p.Version+" "+p.PURL+" "+strings.Join(p.Paths, ","))
		}
	}
	want := "golang.org/x/sync " + syncVersion + " pkg:golang/golang.org/x/sync@" + syncVersion + " /usr/local/bin/hello"
	if !slices.Contains(mods, want) {
		t.Errorf("go modules = %q, want one %q", mods, want)
	}
	var sawMain bool
	for _, m := range mods {
		sawMain = sawMain || strings.HasPrefix(m, "example.com/hello ")
	}
	if !sawMain {
		t.Errorf("go modules = %q, want the main module example.com/hello", mods)
	}
}

func TestGenerateErrors(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Generate(ctx, viaLayout(t, fixtureImage(t))); err == nil {
		t.Error("Generate with a cancelled context succeeded")
	}
	if _, err := Generate(context.Background(), nil); err == nil {
		t.Error("Generate(nil) succeeded")
	}
}

func TestGenerateRemovesLayerCache(t *testing.T) {
	dir := t.TempDir()
	if _, err := Generate(context.Background(), viaLayout(t, fixtureImage(t)), WithTempDir(dir)); err != nil {
		t.Fatal(err)
	}
	left, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("Generate left %v in its temp dir", left)
	}
	if _, err := Generate(context.Background(), fixtureImage(t), WithTempDir(filepath.Join(dir, "missing"))); err == nil || !strings.Contains(err.Error(), "creating layer cache") {
		t.Errorf("Generate with a missing temp dir = %v, want a layer cache error", err)
	}
}
