// Package kms links sigstore's KMS providers (AWS KMS, Google Cloud KMS,
// Azure Key Vault, HashiCorp Vault) so that sign.LoadKMSSigner and
// sign.LoadKMSVerifier accept awskms://, gcpkms://, azurekms:// and
// hashivault:// URIs. Import it for its side effect, in the CLI only:
//
//	import _ "github.com/sreevishnu07/stevedore/sign/kms"
//
// Each provider is behind a build tag, because its cloud SDK is most of
// what a stevedore binary would otherwise start up (its package
// initialisers run before every command, KMS or not) and tens of MiB of it:
//
//	stevedore_kms            all four providers
//	stevedore_kms_aws        awskms://
//	stevedore_kms_gcp        gcpkms://
//	stevedore_kms_azure      azurekms://
//	stevedore_kms_hashivault hashivault://
//
// A scheme whose provider is not built in still fails clearly: it is
// registered here with a provider that says which build tag, or which
// release binary, has it (after trying a sigstore-kms-<scheme> plugin on
// PATH, as sigstore does for any scheme it does not know).
package kms

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"slices"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/kms"
	"github.com/sigstore/sigstore/pkg/signature/kms/cliplugin"

	"github.com/sreevishnu07/stevedore/sign"
)

// providers are the schemes sigstore has providers for, with the build tag
// that links each.
var providers = []struct{ scheme, tag, name string }{
	{"awskms://", "stevedore_kms_aws", "AWS KMS"},
	{"gcpkms://", "stevedore_kms_gcp", "Google Cloud KMS"},
	{"azurekms://", "stevedore_kms_azure", "Azure Key Vault"},
	{"hashivault://", "stevedore_kms_hashivault", "HashiCorp Vault"},
}

// notBuiltIn lists the schemes this binary was built without.
var notBuiltIn []string

// The provider packages (blank-imported by the tagged files of this
// package) register their schemes in their own init, which runs before
// this one: what is still missing here was not built in.
func init() {
	linked := kms.SupportedProviders()
	for _, p := range providers {
		if slices.Contains(linked, p.scheme) {
			continue
		}
		notBuiltIn = append(notBuiltIn, p.scheme)
		kms.AddProvider(p.scheme, notBuiltInProvider(p.scheme, p.tag, p.name))
	}
}

func notBuiltInProvider(scheme, tag, name string) kms.ProviderInit {
	return func(ctx context.Context, uri string, h crypto.Hash, opts ...signature.RPCOption) (kms.SignerVerifier, error) {
		// A sigstore-kms-<scheme> plugin on PATH serves the scheme, as it
		// would for any scheme sigstore has no provider for.
		sv, err := cliplugin.LoadSignerVerifier(ctx, uri, h, opts...)
		if err == nil || !errors.Is(err, exec.ErrNotFound) {
			return sv, err
		}
		return nil, fmt.Errorf("%w: this stevedore was built without %s support (%s keys); use the release binary stevedore_kms_%s_%s, or build with -tags %s (or -tags stevedore_kms for every provider)",
			sign.ErrKMSNotLinked, name, scheme, runtime.GOOS, runtime.GOARCH, tag)
	}
}
