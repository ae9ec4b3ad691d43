package kms

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/sign"
)

var testURIs = map[string]string{
	"awskms://":     "awskms:///arn:aws:kms:us-east-1:000000000000:key/00000000-0000-0000-0000-000000000000",
	"gcpkms://":     "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k",
	"azurekms://":   "azurekms://stevedore-test.vault.azure.net/k",
	"hashivault://": "hashivault://stevedore-test",
}

// A scheme built without its provider fails with ErrKMSNotLinked and names
// the build tag and the release binary that have it. Run with
// -tags stevedore_kms this checks the opposite: no scheme is left out.
func TestSchemesNotBuiltIn(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no sigstore-kms-* plugin
	for _, p := range providers {
		if !slices.Contains(notBuiltIn, p.scheme) {
			continue
		}
		_, err := sign.LoadKMSVerifier(context.Background(), testURIs[p.scheme])
		if !errors.Is(err, sign.ErrKMSNotLinked) {
			t.Errorf("%s: err = %v, want ErrKMSNotLinked", p.scheme, err)
			continue
		}
		release := "stevedore_kms_" + runtime.GOOS + "_" + runtime.GOARCH
		for _, want := range []string{"-tags " + p.tag, "-tags stevedore_kms ", release} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error lacks %q: %v", p.scheme, want, err)
			}
		}
	}
}

// With its provider built in, a KMS URI reaches the provider instead of
// failing with ErrKMSNotLinked (the provider then fails without network or
// credentials, or succeeds lazily; either way it is not "not linked").
func TestProvidersLinked(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // no provider should get far enough to talk to a cloud
	linked := 0
	for _, p := range providers {
		if slices.Contains(notBuiltIn, p.scheme) {
			continue
		}
		linked++
		if _, err := sign.LoadKMSVerifier(ctx, testURIs[p.scheme]); errors.Is(err, sign.ErrKMSNotLinked) {
			t.Errorf("%s: %v", p.scheme, err)
		}
	}
	if linked == 0 {
		t.Skip("no KMS provider built in (build with -tags stevedore_kms to test them)")
	}
}

// A sigstore-kms-<scheme> plugin on PATH serves a scheme that is not built
// in, as sigstore serves schemes it has no provider for.
func TestPluginServesSchemeNotBuiltIn(t *testing.T) {
	if !slices.Contains(notBuiltIn, "awskms://") {
		t.Skip("awskms:// is built in")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "sigstore-kms-awskms"), []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	// the plugin is started on first use, not when the key is loaded
	if _, err := sign.LoadKMSVerifier(context.Background(), testURIs["awskms://"]); err != nil {
		t.Errorf("with a plugin on PATH: %v", err)
	}
}
