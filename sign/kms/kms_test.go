package kms

import (
	"context"
	"errors"
	"testing"

	"github.com/sreevishnu07/stevedore/sign"
)

// With the providers linked, a KMS URI reaches its provider instead of
// failing with ErrKMSNotLinked (the provider then fails without network or
// credentials, or succeeds lazily; either way it is not "not linked").
func TestProvidersLinked(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // no provider should get far enough to talk to a cloud
	for _, uri := range []string{
		"hashivault://stevedore-test",
		"gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k",
		"azurekms://stevedore-test.vault.azure.net/k",
		"awskms:///arn:aws:kms:us-east-1:000000000000:key/00000000-0000-0000-0000-000000000000",
	} {
		_, err := sign.LoadKMSVerifier(ctx, uri)
		if errors.Is(err, sign.ErrKMSNotLinked) {
			t.Errorf("%s: %v", uri, err)
		}
	}
}
