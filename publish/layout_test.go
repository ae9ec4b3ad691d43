package publish

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

func TestLoadLayoutErrors(t *testing.T) {
	ctx := testCtx(t)
	missing := filepath.Join(t.TempDir(), "nope")
	if _, err := Load(ctx, mustRef(t, "oci:"+missing)); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing layout: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "l")
	a := registrytest.WriteLayout(t, dir, "a", registrytest.Image(t, 1, 64))
	registrytest.WriteLayout(t, dir, "b", registrytest.Image(t, 1, 64))
	_, err := Load(ctx, mustRef(t, "oci:"+dir))
	if !errors.Is(err, ErrBadReference) || !strings.Contains(err.Error(), ":a") || !strings.Contains(err.Error(), ":b") {
		t.Errorf("ambiguous layout: %v", err)
	}
	if _, err := Load(ctx, mustRef(t, "oci:"+dir+":c")); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing tag: %v", err)
	}
	got, err := Load(ctx, mustRef(t, "oci:"+dir+":a"))
	if err != nil || got.Digest() != a {
		t.Errorf("Load :a = %v, %v", got.Digest(), err)
	}
}
