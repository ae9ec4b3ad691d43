package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/kms"
)

// KMSSchemes are the key URI schemes handled by sigstore's KMS providers
// (linked by importing github.com/sreevishnu07/stevedore/sign/kms).
var KMSSchemes = []string{"awskms://", "gcpkms://", "azurekms://", "hashivault://"}

// IsKMSURI reports whether ref names a KMS key rather than a file.
func IsKMSURI(ref string) bool {
	for _, s := range KMSSchemes {
		if strings.HasPrefix(ref, s) {
			return true
		}
	}
	return false
}

// Signer signs payloads: a cosign key pair, a KMS key, or an ephemeral key
// with a Fulcio certificate (keyless). Build one with LoadSigner,
// LoadSignerFile, LoadKMSSigner or NewKeylessSigner.
type Signer struct {
	sv signature.SignerVerifier
	// ref is how the key is named on a cosign command line (a path or a KMS
	// URI), "" when it came as bytes.
	ref string
	// cert and chain are PEM, set only for keyless signers.
	cert, chain []byte
	// rekorURL is where a keyless signer's entries go (Rekor is mandatory
	// for keyless: the certificate expires after minutes and only the log
	// proves it was valid when the signature was made).
	rekorURL string
	// kb signs bundles keyless through a signing config
	// (NewSigningConfigSigner); nil otherwise.
	kb *keylessBundle
}

// Keyless reports whether s signs with a Fulcio certificate.
func (s *Signer) Keyless() bool { return s != nil && s.cert != nil }

// PublicKey is the signer's public key.
func (s *Signer) PublicKey() (crypto.PublicKey, error) { return s.sv.PublicKey() }

// PublicKeyPEM is the signer's public key in PEM, as cosign.pub holds it.
func (s *Signer) PublicKeyPEM() ([]byte, error) {
	pub, err := s.sv.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("reading public key: %w", err)
	}
	return cryptoutils.MarshalPublicKeyToPEM(pub)
}

// Verifier returns a verifier for signatures made by s (key signers only;
// keyless signatures are verified by identity). It is named on command
// lines by the public half only, never the private key file: a KMS URI as
// it is, a key file by the cosign.pub beside it when that holds the same
// key, otherwise by nothing (Ref is empty; write PublicKeyPEM down and load
// it with LoadVerifierFile to give it a name).
func (s *Signer) Verifier() *Verifier { return &Verifier{v: s.sv, ref: s.publicRef()} }

func (s *Signer) publicRef() string {
	if IsKMSURI(s.ref) {
		return s.ref
	}
	pubPath, ok := strings.CutSuffix(s.ref, ".key")
	if !ok {
		return ""
	}
	pubPath += ".pub"
	have, err := os.ReadFile(pubPath)
	if err != nil {
		return ""
	}
	want, err := s.PublicKeyPEM()
	if err != nil || !bytes.Equal(bytes.TrimSpace(have), bytes.TrimSpace(want)) {
		return ""
	}
	return pubPath
}

// Certificate returns the PEM certificate and chain of a keyless signer (nil
// for key signers).
func (s *Signer) Certificate() (cert, chain []byte) { return s.cert, s.chain }

func (s *Signer) valid() error {
	if s == nil || s.sv == nil {
		return errors.New("no signer: load one with LoadSigner, LoadSignerFile, LoadKMSSigner or NewKeylessSigner")
	}
	return nil
}

// GenerateKeys makes a cosign-compatible ECDSA P-256 key pair: the private
// key encrypted with password (scrypt + secretbox, "ENCRYPTED SIGSTORE
// PRIVATE KEY") and the public key in PEM. An empty password is allowed, as
// with cosign, but leaves the key protected only by file permissions.
//
// Without a password the scrypt cost protects nothing (anyone can derive
// the empty password's key), so such a key is written at the lowest cost
// cosign reads (N=2^15, go-securesystemslib's "legacy" parameters) rather
// than cosign's default 2^16: every release decrypts it, and that halves
// what the decryption costs. cosign v2 and v3 sign and verify with it.
func GenerateKeys(password []byte) (privPEM, pubPEM []byte, err error) {
	if len(password) > 0 {
		kb, err := cosign.GenerateKeyPair(func(bool) ([]byte, error) { return password, nil })
		if err != nil {
			return nil, nil, fmt.Errorf("generating key pair: %w", err)
		}
		return kb.PrivateBytes, kb.PublicBytes, nil
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generating key pair: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding private key: %w", err)
	}
	enc, err := encrypted.EncryptWithCustomKDFParameters(der, nil, encrypted.Legacy)
	if err != nil {
		return nil, nil, fmt.Errorf("encrypting private key: %w", err)
	}
	if pubPEM, err = cryptoutils.MarshalPublicKeyToPEM(&priv.PublicKey); err != nil {
		return nil, nil, fmt.Errorf("encoding public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: cosign.SigstorePrivateKeyPemType, Bytes: enc}), pubPEM, nil
}

// LoadSigner loads a cosign private key from PEM bytes (what cosign
// generate-key-pair writes, or the value of an env://VAR reference the CLI
// resolved) with its password.
func LoadSigner(privPEM, password []byte) (*Signer, error) {
	sv, err := cosign.LoadPrivateKey(privPEM, password, nil)
	if err != nil {
		// cosign's error never contains the password; it is usually a wrong
		// password ("decrypt: …") or a key that is not a cosign key.
		return nil, fmt.Errorf("loading private key: %w (check the password, COSIGN_PASSWORD for the CLI, and that the key was written by cosign generate-key-pair or stevedore)", err)
	}
	return &Signer{sv: sv}, nil
}

// LoadSignerFile loads a cosign private key file (cosign.key) with its
// password.
func LoadSignerFile(path string, password []byte) (*Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading private key: %w", err)
	}
	s, err := LoadSigner(b, password)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s.ref = path
	return s, nil
}

// LoadKMSSigner loads a KMS key (awskms://…, gcpkms://…, azurekms://…,
// hashivault://…). The provider must be linked (import _
// "github.com/sreevishnu07/stevedore/sign/kms"); credentials come from the
// provider SDK's usual sources.
func LoadKMSSigner(ctx context.Context, uri string) (*Signer, error) {
	sv, err := loadKMS(ctx, uri)
	if err != nil {
		return nil, err
	}
	return &Signer{sv: sv, ref: uri}, nil
}

func loadKMS(ctx context.Context, uri string) (kms.SignerVerifier, error) {
	if !IsKMSURI(uri) {
		return nil, fmt.Errorf("loading KMS key %q: not a KMS URI (want one of %s)", uri, strings.Join(KMSSchemes, ", "))
	}
	sv, err := kms.Get(ctx, uri, crypto.SHA256)
	var pnf *kms.ProviderNotFoundError
	if errors.As(err, &pnf) {
		return nil, fmt.Errorf("loading KMS key %s: %w (import _ \"github.com/sreevishnu07/stevedore/sign/kms\" in the binary)", uri, ErrKMSNotLinked)
	}
	if err != nil {
		return nil, fmt.Errorf("loading KMS key %s: %w", uri, err)
	}
	return sv, nil
}

// Verifier checks signatures against one public key.
type Verifier struct {
	v   signature.Verifier
	ref string
}

// Ref is how the public key is named on a cosign command line (a cosign.pub
// path or a KMS URI); "" when it came as bytes.
func (v *Verifier) Ref() string { return v.ref }

// LoadVerifier loads a PEM public key (cosign.pub).
func LoadVerifier(pubPEM []byte) (*Verifier, error) {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pubPEM)
	if err != nil {
		return nil, fmt.Errorf("loading public key: %w (want a PEM \"PUBLIC KEY\" block as in cosign.pub)", err)
	}
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("loading public key: %w", err)
	}
	return &Verifier{v: v}, nil
}

// LoadVerifierFile loads a PEM public key file (cosign.pub).
func LoadVerifierFile(path string) (*Verifier, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading public key: %w", err)
	}
	v, err := LoadVerifier(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	v.ref = path
	return v, nil
}

// LoadKMSVerifier loads the public half of a KMS key (see LoadKMSSigner).
func LoadKMSVerifier(ctx context.Context, uri string) (*Verifier, error) {
	sv, err := loadKMS(ctx, uri)
	if err != nil {
		return nil, err
	}
	return &Verifier{v: sv, ref: uri}, nil
}

// PublicKeyPEM is the verifier's public key in PEM.
func (v *Verifier) PublicKeyPEM() ([]byte, error) {
	pub, err := v.v.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("reading public key: %w", err)
	}
	return cryptoutils.MarshalPublicKeyToPEM(pub)
}
