//go:build stevedore_kms || stevedore_kms_azure

package kms

// The provider registers its scheme with sigstore's kms package in its init.
import _ "github.com/sigstore/sigstore/pkg/signature/kms/azure"
