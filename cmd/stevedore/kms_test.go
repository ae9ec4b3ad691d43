package main

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/sign"
)

// In a build without a KMS provider (the default), a KMS key fails before
// anything is signed, naming the build tag and the release binary that
// have the provider.
func TestSignKMSNotBuiltIn(t *testing.T) {
	if _, err := sign.LoadKMSVerifier(t.Context(), "awskms:///arn:aws:kms:us-east-1:000000000000:key/k"); err == nil || !strings.Contains(err.Error(), "stevedore_kms_aws") {
		t.Skip("awskms:// is built in")
	}
	t.Setenv("PATH", t.TempDir()) // no sigstore-kms-awskms plugin
	dir := filepath.Join(t.TempDir(), "layout")
	img := registrytest.Image(t, 1, 64)
	registrytest.WriteLayout(t, dir, "v1", img)
	h, _ := img.Digest()
	r := stevedore(t, nil, "", "sign", "oci:"+dir+"@"+h.String(), "--key", "awskms:///arn:aws:kms:us-east-1:000000000000:key/k")
	if r.code == 0 || !strings.Contains(r.stderr, "-tags stevedore_kms_aws") || !strings.Contains(r.stderr, "stevedore_kms_"+runtime.GOOS+"_"+runtime.GOARCH) {
		t.Errorf("exit %d: %s", r.code, r.stderr)
	}
}
