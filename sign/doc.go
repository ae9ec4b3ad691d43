// Package sign owns signatures and attestations of release artifacts: cosign
// key pairs, signing an image or index by digest (in a registry or in an OCI
// layout on disk), in-toto attestations (SBOMs, SLSA provenance), carrying
// both from a layout to registries, and verifying them.
//
// Everything is stored the way cosign v2 stores it, so `cosign verify`,
// `cosign verify-attestation` and admission controllers (policy-controller,
// Kyverno, Connaisseur) find and accept what this package writes:
//
//   - signatures: the "simple signing" payload, one layer per signature, in an
//     image tagged sha256-<hex>.sig in the subject's repository;
//   - attestations: a DSSE envelope around an in-toto statement, in an image
//     tagged sha256-<hex>.att.
//
// Sigstore bundles (cosign v3's format: SignBundle, AttestBundle) are OCI
// 1.1 referrers of the subject, through the referrers API or the referrers
// tag schema.
//
// In an OCI layout the same images are listed in index.json with those tags
// as their org.opencontainers.image.ref.name, and bundle referrers
// (SignLayoutBundles, AttestLayoutBundle) untagged, as ORAS lists referrers
// in a layout, so a release prepared offline can be signed before it is
// pushed and CopySignatures carries both kinds along when it is.
//
// The API only takes digests (name.Digest, or a layout path and a v1.Hash):
// a signature binds to the digest computed locally, never to a tag looked up
// again. Signing is idempotent: a digest already signed by the same key with
// the same payload is not signed again, so a re-run adds nothing.
//
// KMS keys (awskms://, gcpkms://, azurekms://, hashivault://) work only when
// the binary links the providers with a blank import of
// github.com/sreevishnu07/stevedore/sign/kms; they are left out of this
// package because their SDKs cost start-up time in every binary that links
// them.
//
// The package never prints and never reads the environment: passwords,
// env:// key material and OIDC tokens are resolved by the caller and passed
// in.
package sign
