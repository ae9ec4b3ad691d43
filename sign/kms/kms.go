// Package kms links sigstore's KMS providers (AWS KMS, Google Cloud KMS,
// Azure Key Vault, HashiCorp Vault) so that sign.LoadKMSSigner and
// sign.LoadKMSVerifier accept awskms://, gcpkms://, azurekms:// and
// hashivault:// URIs. Import it for its side effect, in the CLI only:
//
//	import _ "github.com/sreevishnu07/stevedore/sign/kms"
//
// The providers' cloud SDKs are large and run package initialisers, so
// they stay out of the sign package and out of every test binary that does
// not need them.
package kms

import (
	// Each provider registers its URI scheme with sigstore's kms package in
	// its init function.
	_ "github.com/sigstore/sigstore/pkg/signature/kms/aws"
	_ "github.com/sigstore/sigstore/pkg/signature/kms/azure"
	_ "github.com/sigstore/sigstore/pkg/signature/kms/gcp"
	_ "github.com/sigstore/sigstore/pkg/signature/kms/hashivault"
)
