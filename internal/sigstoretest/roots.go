package sigstoretest

import (
	"crypto"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"time"

	prototrustroot "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"github.com/sigstore/rekor-tiles/v2/pkg/note"
	"github.com/sigstore/sigstore-go/pkg/root"
)

// validFrom backdates every validity period a little: the servers' keys
// are minutes old, and clients compare against their own clock.
func validFrom() time.Time { return time.Now().Add(-time.Hour) }

// trustedRoot builds trusted_root.json from what the servers report:
// Fulcio's /api/v2/trustBundle, the TSA's certificate chain and the Rekor
// v2 checkpoint key (whose log ID is the checkpoint key hash for
// RekorOrigin, as `cosign trusted-root create` computes it).
func trustedRoot(s *Sigstore, fulcioBundle, tsaChain []byte, rekorKey ed25519.PublicKey) ([]byte, error) {
	var tb struct {
		Chains []struct {
			Certificates []string `json:"certificates"`
		} `json:"chains"`
	}
	if err := json.Unmarshal(fulcioBundle, &tb); err != nil {
		return nil, fmt.Errorf("reading Fulcio's trust bundle: %w", err)
	}
	if len(tb.Chains) == 0 {
		return nil, fmt.Errorf("reading Fulcio's trust bundle: %w", errNoChain)
	}
	var pems []byte
	for _, c := range tb.Chains[0].Certificates {
		pems = append(pems, c...)
		pems = append(pems, '\n')
	}
	fulcio, err := parseChain(pems)
	if err != nil {
		return nil, fmt.Errorf("reading Fulcio's trust bundle: %w", err)
	}
	tsa, err := parseChain(tsaChain)
	if err != nil {
		return nil, fmt.Errorf("reading the TSA's certificate chain: %w", err)
	}
	_, logID, err := note.KeyHash(RekorOrigin, rekorKey)
	if err != nil {
		return nil, err
	}
	start := validFrom()
	ca := &root.FulcioCertificateAuthority{
		Root: fulcio[len(fulcio)-1], Intermediates: fulcio[:len(fulcio)-1],
		ValidityPeriodStart: start, URI: s.FulcioURL,
	}
	ts := &root.SigstoreTimestampingAuthority{
		Root: tsa[len(tsa)-1], ValidityPeriodStart: start, URI: s.TSAURL,
	}
	if len(tsa) > 1 {
		ts.Leaf, ts.Intermediates = tsa[0], tsa[1:len(tsa)-1]
	}
	tlog := &root.TransparencyLog{
		BaseURL: s.RekorURL, ID: logID, ValidityPeriodStart: start,
		HashFunc: crypto.SHA256, PublicKey: rekorKey, SignatureHashFunc: crypto.SHA256,
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01,
		[]root.CertificateAuthority{ca}, nil,
		[]root.TimestampingAuthority{ts},
		map[string]*root.TransparencyLog{fmt.Sprintf("%x", logID): tlog})
	if err != nil {
		return nil, err
	}
	return tr.MarshalJSON()
}

// signingConfig builds signing_config.json (v0.2): Fulcio, the Rekor v2
// log (majorApiVersion 2) and the TSA, one of each.
func signingConfig(s *Sigstore) ([]byte, error) {
	start := validFrom()
	svc := func(url string, v uint32) []root.Service {
		return []root.Service{{URL: url, MajorAPIVersion: v, ValidityPeriodStart: start, Operator: "stevedore-test"}}
	}
	one := root.ServiceConfiguration{Selector: prototrustroot.ServiceSelector_ANY}
	sc, err := root.NewSigningConfig(root.SigningConfigMediaType02,
		svc(s.FulcioURL, 1), svc(s.EmailIssuer, 1),
		svc(s.RekorURL, 2), one,
		svc(s.TSAURL, 1), one)
	if err != nil {
		return nil, err
	}
	return sc.MarshalJSON()
}

// parseChain reads PEM certificates, leaf first and root last.
func parseChain(b []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, err
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errNoChain
	}
	return certs, nil
}
