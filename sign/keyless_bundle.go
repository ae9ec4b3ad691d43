package sign

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/rekor-tiles/v2/pkg/client/write"
	rekortilespb "github.com/sigstore/rekor-tiles/v2/pkg/generated/protobuf"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	sgsign "github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"google.golang.org/protobuf/encoding/protojson"
)

// keylessBundle is how a keyless signer made from a signing config signs
// bundles: sigstore-go's sign.Bundle with the config's Rekor (v1 or v2)
// and timestamp authorities, and the one certificate Fulcio issued for the
// signer's key (so a release asks Fulcio once, not once per signature).
type keylessBundle struct {
	kp     *keypair
	cert   []byte // DER
	config *SigningConfig
}

// NewSigningConfigSigner makes an ephemeral key and gets a Fulcio
// certificate for the identity in idToken from the Fulcio cfg names, as
// `cosign sign --signing-config` does. Its signatures are Sigstore bundles
// (SignBundle, AttestBundle) timestamped by cfg's TSA and recorded in cfg's
// Rekor log; the legacy format (Sign, Attest) works only when that log
// speaks Rekor API v1.
func NewSigningConfigSigner(ctx context.Context, idToken string, cfg *SigningConfig) (*Signer, error) {
	fail := func(err error) (*Signer, error) {
		return nil, fmt.Errorf("getting a certificate from %s (signing config %s): %w", cfg.FulcioURL(), cfg.Path(), err)
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fail(err)
	}
	kp, err := newKeypair(priv)
	if err != nil {
		return fail(err)
	}
	der, err := sgsign.NewFulcio(&sgsign.FulcioOptions{BaseURL: cfg.FulcioURL(), Retries: 1}).
		GetCertificate(ctx, kp, &sgsign.CertificateProviderOptions{IDToken: idToken})
	if err != nil {
		return fail(err)
	}
	sv, err := signature.LoadECDSASignerVerifier(priv, crypto.SHA256)
	if err != nil {
		return fail(err)
	}
	s := &Signer{
		sv:   sv,
		cert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		kb:   &keylessBundle{kp: kp, cert: der, config: cfg},
	}
	if cfg.RekorVersion() == 1 {
		s.rekorURL = cfg.RekorURL()
	}
	return s, nil
}

// legacyTlog refuses the legacy format when the log is Rekor v2, whose
// entries have no place in a legacy signature.
func (k *keylessBundle) legacyTlog() error {
	if k == nil || k.config.RekorVersion() == 1 {
		return nil
	}
	return &SetupError{
		What: "keyless signing in the legacy format",
		Err:  fmt.Errorf("signing config %s names a Rekor v%d log, which a legacy signature cannot record", k.config.Path(), k.config.RekorVersion()),
		Fix:  "sign in the bundle format (--format bundle; sign.format: bundle), or use a signing config with a Rekor v1 log",
	}
}

// sign makes the bundle of a DSSE envelope over statement.
func (k *keylessBundle) sign(ctx context.Context, statement []byte) ([]byte, error) {
	opts := sgsign.BundleOptions{
		Context:             ctx,
		CertificateProvider: issued(k.cert),
	}
	rekor := &sgsign.RekorOptions{BaseURL: k.config.RekorURL(), Version: k.config.RekorVersion(), Retries: 1}
	if rekor.Version == 2 {
		w, err := write.NewWriter(rekor.BaseURL)
		if err != nil {
			return nil, fmt.Errorf("signing with %s: %w", k.config.Path(), err)
		}
		rekor.ClientV2 = hashedDSSE{w}
	}
	opts.TransparencyLogs = []sgsign.Transparency{sgsign.NewRekor(rekor)}
	for _, u := range k.config.tsas {
		opts.TimestampAuthorities = append(opts.TimestampAuthorities, sgsign.NewTimestampAuthority(&sgsign.TimestampAuthorityOptions{URL: u, Retries: 1}))
	}
	b, err := sgsign.Bundle(&sgsign.DSSEData{Data: statement, PayloadType: inTotoPayloadType}, k.kp, opts)
	if err != nil {
		return nil, fmt.Errorf("signing with %s: %w", k.config.Path(), err)
	}
	return protojson.Marshal(b)
}

// keylessBundle signs statement keyless into a bundle.
func (s *Signer) keylessBundle(ctx context.Context, statement []byte) ([]byte, error) {
	if s.kb == nil {
		return nil, fmt.Errorf("keyless bundles need a signing config (--signing-config FILE; sign.signing-config in stevedore.yaml)")
	}
	return s.kb.sign(ctx, statement)
}

// hashedDSSE records DSSE envelopes in Rekor v2 as hashedrekord entries
// over the envelope's pre-authentication encoding: current Rekor v2 logs
// accept hashedrekord only (rekor-tiles v2.3 dropped the dsse type), and
// this is the entry cosign v3 writes and verifiers reconstruct.
type hashedDSSE struct{ w write.Client }

func (h hashedDSSE) Add(ctx context.Context, entry any) (*protorekor.TransparencyLogEntry, error) {
	if d, ok := entry.(*rekortilespb.DSSERequestV002); ok && d.GetEnvelope() != nil && len(d.Envelope.Signatures) == 1 && len(d.Verifiers) == 1 {
		sum := sha256.Sum256(pae(d.Envelope.PayloadType, d.Envelope.Payload))
		entry = &rekortilespb.HashedRekordRequestV002{
			Signature: &rekortilespb.Signature{Content: d.Envelope.Signatures[0].Sig, Verifier: d.Verifiers[0]},
			Digest:    sum[:],
		}
	}
	return h.w.Add(ctx, entry)
}

// issued is a certificate provider that hands out the certificate Fulcio
// already issued.
type issued []byte

func (c issued) GetCertificate(context.Context, sgsign.Keypair, *sgsign.CertificateProviderOptions) ([]byte, error) {
	return c, nil
}

// keypair is sigstore-go's signing key interface over an ECDSA P-256 key
// this package holds (its EphemeralKeypair keeps the key to itself).
type keypair struct {
	priv *ecdsa.PrivateKey
	hint []byte
}

func newKeypair(priv *ecdsa.PrivateKey) (*keypair, error) {
	der, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	return &keypair{priv: priv, hint: []byte(base64.StdEncoding.EncodeToString(sum[:]))}, nil
}

func (k *keypair) GetHashAlgorithm() protocommon.HashAlgorithm {
	return protocommon.HashAlgorithm_SHA2_256
}
func (k *keypair) GetSigningAlgorithm() protocommon.PublicKeyDetails {
	return protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256
}
func (k *keypair) GetHint() []byte                { return k.hint }
func (k *keypair) GetKeyAlgorithm() string        { return "ECDSA" }
func (k *keypair) GetPublicKey() crypto.PublicKey { return k.priv.Public() }
func (k *keypair) GetPublicKeyPem() (string, error) {
	b, err := cryptoutils.MarshalPublicKeyToPEM(k.priv.Public())
	return string(b), err
}
func (k *keypair) SignData(_ context.Context, data []byte) ([]byte, []byte, error) {
	sum := sha256.Sum256(data)
	sig, err := ecdsa.SignASN1(rand.Reader, k.priv, sum[:])
	return sig, sum[:], err
}

// CertificateIdentity is the subject (email or URI) and OIDC issuer in a
// keyless signer's certificate: what Fulcio read from the token, and what
// a verifier must require when the release was not told which identity to
// expect.
func (s *Signer) CertificateIdentity() (identity, issuer string, err error) {
	if !s.Keyless() {
		return "", "", errors.New("not a keyless signer")
	}
	blk, _ := pem.Decode(s.cert)
	if blk == nil {
		return "", "", errors.New("reading the signing certificate: no PEM block")
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return "", "", fmt.Errorf("reading the signing certificate: %w", err)
	}
	sum, err := certificate.SummarizeCertificate(c)
	if err != nil {
		return "", "", fmt.Errorf("reading the signing certificate: %w", err)
	}
	return sum.SubjectAlternativeName, sum.Issuer, nil
}

// certificateIdentity is what a keyless bundle's certificate must carry:
// the subject and issuer, and the GitHub workflow claims WithGitHubWorkflow
// names (as cosign's --certificate-github-workflow-* check them).
func (o *options) certificateIdentity() (verify.CertificateIdentity, error) {
	san, err := verify.NewSANMatcher(o.certIdentity, o.certIdentityRE)
	if err != nil {
		return verify.CertificateIdentity{}, err
	}
	iss, err := verify.NewIssuerMatcher(o.issuer, o.issuerRE)
	if err != nil {
		return verify.CertificateIdentity{}, err
	}
	return verify.NewCertificateIdentity(san, iss, certificate.Extensions{
		GithubWorkflowTrigger:    o.github.Trigger,
		GithubWorkflowSHA:        o.github.SHA,
		GithubWorkflowName:       o.github.Name,
		GithubWorkflowRepository: o.github.Repository,
		GithubWorkflowRef:        o.github.Ref,
	})
}
