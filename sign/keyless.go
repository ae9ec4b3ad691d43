package sign

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/fulcio/pkg/api"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/oauthflow"
	"github.com/sigstore/sigstore/pkg/signature"
)

// KeylessConfig configures NewKeylessSigner. Zero fields take the defaults
// noted.
type KeylessConfig struct {
	// FulcioURL issues the certificate. Default DefaultFulcioURL.
	FulcioURL string
	// RekorURL records every signature made (always on for keyless).
	// Default DefaultRekorURL.
	RekorURL string
	// SkipSCTCheck skips checking the certificate's signed certificate
	// timestamp against the CT log keys (fetched through Sigstore's TUF
	// root), as cosign sign does by default. Default false.
	SkipSCTCheck bool
}

// NewKeylessSigner makes an ephemeral key and gets a short-lived Fulcio
// certificate binding it to the identity in idToken (an OIDC token the
// caller obtained, e.g. with GitHubIDToken), as cosign sign does without
// --key. Signatures made with it carry the certificate and are always
// recorded in Rekor (cfg.RekorURL, unless WithRekorURL overrides it); the certificate is
// valid for about 10 minutes, so sign right away.
//
// This needs network access to Fulcio (and to Rekor when signing); the
// package's tests cannot exercise it.
func NewKeylessSigner(ctx context.Context, idToken string, cfg KeylessConfig) (*Signer, error) {
	if idToken == "" {
		return nil, errors.New("keyless signing: empty identity token (in GitHub Actions use GitHubIDToken; the job needs `permissions: id-token: write`)")
	}
	if cfg.FulcioURL == "" {
		cfg.FulcioURL = DefaultFulcioURL
	}
	if cfg.RekorURL == "" {
		cfg.RekorURL = DefaultRekorURL
	}
	fail := func(err error) (*Signer, error) {
		return nil, fmt.Errorf("getting a certificate from %s: %w", cfg.FulcioURL, err)
	}
	u, err := url.Parse(cfg.FulcioURL)
	if err != nil {
		return fail(err)
	}
	priv, err := cosign.GeneratePrivateKey()
	if err != nil {
		return fail(err)
	}
	sv, err := signature.LoadECDSASignerVerifier(priv, crypto.SHA256)
	if err != nil {
		return fail(err)
	}
	// Fulcio wants proof of possession: the token's subject signed with
	// the key (cosign's fulcio.GetCert). Fulcio verifies the token itself.
	sub, err := oauthflow.SubjectFromUnverifiedToken([]byte(idToken))
	if err != nil {
		return fail(fmt.Errorf("reading identity token: %w", err))
	}
	proof, err := sv.SignMessage(strings.NewReader(sub))
	if err != nil {
		return fail(err)
	}
	pubPEM, err := cryptoutils.MarshalPublicKeyToPEM(priv.Public())
	if err != nil {
		return fail(err)
	}
	resp, err := api.NewClient(u).SigningCert(api.CertificateRequest{
		PublicKey:          api.Key{Content: pubPEM},
		SignedEmailAddress: proof,
	}, idToken)
	if err != nil {
		return fail(err)
	}
	if !cfg.SkipSCTCheck {
		// cosign's fulcioverifier: a certificate Fulcio did not log in CT is
		// not trusted by verifiers.
		pubs, err := cosign.GetCTLogPubs(ctx)
		if err != nil {
			return fail(fmt.Errorf("loading CT log keys: %w", err))
		}
		if err := cosign.VerifySCT(ctx, resp.CertPEM, resp.ChainPEM, resp.SCT, pubs); err != nil {
			return fail(fmt.Errorf("verifying the certificate's SCT: %w", err))
		}
	}
	return &Signer{sv: sv, cert: resp.CertPEM, chain: resp.ChainPEM, rekorURL: cfg.RekorURL}, nil
}

// GitHubOIDCAudience is the audience Fulcio expects in GitHub tokens.
const GitHubOIDCAudience = "sigstore"

// GitHubIDToken fetches a GitHub Actions OIDC token for Fulcio. requestURL
// and requestToken are the job's ACTIONS_ID_TOKEN_REQUEST_URL and
// ACTIONS_ID_TOKEN_REQUEST_TOKEN (the CLI reads them; this package reads no
// environment). client may be nil (http.DefaultClient).
func GitHubIDToken(ctx context.Context, requestURL, requestToken string, client *http.Client) (string, error) {
	if requestURL == "" || requestToken == "" {
		return "", errors.New("fetching GitHub OIDC token: ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN are not set: add `permissions: id-token: write` to the workflow job (pull requests from forks never get a token)")
	}
	u, err := url.Parse(requestURL)
	if err != nil {
		return "", fmt.Errorf("fetching GitHub OIDC token: bad request URL: %w", err)
	}
	q := u.Query()
	q.Set("audience", GitHubOIDCAudience)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", fmt.Errorf("fetching GitHub OIDC token: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+requestToken)
	req.Header.Set("Accept", "application/json")
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		// url.Error carries the URL (with its query), never the bearer token.
		return "", fmt.Errorf("fetching GitHub OIDC token: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("fetching GitHub OIDC token: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("fetching GitHub OIDC token: %s (check `permissions: id-token: write`)", resp.Status)
	}
	var v struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(body, &v); err != nil || v.Value == "" {
		return "", errors.New("fetching GitHub OIDC token: response has no \"value\"")
	}
	return v.Value, nil
}
