package sign

import (
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	cbundle "github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	rekorclient "github.com/sigstore/rekor/pkg/client"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// rekorIdentity is what Rekor records as the signer: the certificate for
// keyless signers, the public key otherwise (as cosign does).
func rekorIdentity(s *Signer) ([]byte, error) {
	if s.Keyless() {
		return s.cert, nil
	}
	pub, err := s.sv.PublicKey()
	if err != nil {
		return nil, err
	}
	return cryptoutils.MarshalPublicKeyToPEM(pub)
}

// uploadSignature records a signature of payload in Rekor as a
// hashedrekord entry and returns the bundle cosign stores next to it.
func uploadSignature(ctx context.Context, rekorURL string, s *Signer, sig, payload []byte) (*cbundle.RekorBundle, error) {
	id, err := rekorIdentity(s)
	if err != nil {
		return nil, fmt.Errorf("uploading to %s: %w", rekorURL, err)
	}
	rc, err := rekorclient.GetRekorClient(rekorURL)
	if err != nil {
		return nil, fmt.Errorf("uploading to %s: %w", rekorURL, err)
	}
	sum := sha256.New()
	sum.Write(payload)
	entry, err := cosign.TLogUpload(ctx, rc, sig, sum, id)
	if err != nil {
		return nil, fmt.Errorf("uploading to %s: %w", rekorURL, err)
	}
	return cbundle.EntryToBundle(entry), nil
}

// uploadEnvelope records a DSSE envelope in Rekor as a dsse entry (cosign
// attest's default --rekor-entry-type).
func uploadEnvelope(ctx context.Context, rekorURL string, s *Signer, envelope []byte) (*cbundle.RekorBundle, error) {
	id, err := rekorIdentity(s)
	if err != nil {
		return nil, fmt.Errorf("uploading to %s: %w", rekorURL, err)
	}
	rc, err := rekorclient.GetRekorClient(rekorURL)
	if err != nil {
		return nil, fmt.Errorf("uploading to %s: %w", rekorURL, err)
	}
	entry, err := cosign.TLogUploadDSSEEnvelope(ctx, rc, envelope, id)
	if err != nil {
		return nil, fmt.Errorf("uploading to %s: %w", rekorURL, err)
	}
	return cbundle.EntryToBundle(entry), nil
}
