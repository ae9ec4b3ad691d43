package sigstoretest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// issuer serves OIDC discovery and JWKS for two issuers under one server
// (/email and /github: Fulcio maps one issuer URL to one identity type).
type issuer struct {
	url    string
	key    *rsa.PrivateKey
	signer jose.Signer
	srv    *httptest.Server
}

const keyID = "stevedore-test"

func startIssuer() (*issuer, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", keyID))
	if err != nil {
		return nil, err
	}
	is := &issuer{key: key, signer: signer}
	is.srv = httptest.NewServer(http.HandlerFunc(is.serve))
	is.url = is.srv.URL
	return is, nil
}

func (is *issuer) close() { is.srv.Close() }

func (is *issuer) serve(w http.ResponseWriter, r *http.Request) {
	name, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if name != "email" && name != "github" {
		http.NotFound(w, r)
		return
	}
	base := is.url + "/" + name
	w.Header().Set("Content-Type", "application/json")
	switch rest {
	case ".well-known/openid-configuration":
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                base,
			"jwks_uri":                              base + "/jwks",
			"authorization_endpoint":                base + "/auth",
			"token_endpoint":                        base + "/token",
			"response_types_supported":              []string{"id_token"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	case "jwks":
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
			Key: is.key.Public(), KeyID: keyID, Algorithm: string(jose.RS256), Use: "sig",
		}}})
	default:
		http.NotFound(w, r)
	}
}

// Token mints an identity token from iss (EmailIssuer or GitHubIssuer) for
// subject with audience "sigstore", valid for 10 minutes, with claims added
// (they override the standard ones).
func (s *Sigstore) Token(t testing.TB, iss, subject string, claims map[string]any) string {
	t.Helper()
	now := time.Now()
	c := map[string]any{
		"iss": iss,
		"sub": subject,
		"aud": "sigstore",
		"iat": now.Unix(),
		"nbf": now.Add(-time.Minute).Unix(),
		"exp": now.Add(10 * time.Minute).Unix(),
	}
	maps.Copy(c, claims)
	tok, err := jwt.Signed(s.oidc.signer).Claims(c).Serialize()
	if err != nil {
		t.Fatalf("minting an identity token: %v", err)
	}
	return tok
}

// EmailToken mints a token from EmailIssuer for a verified email address:
// Fulcio's certificate names that email as its subject.
func (s *Sigstore) EmailToken(t testing.TB, email string) string {
	t.Helper()
	return s.Token(t, s.EmailIssuer, email, map[string]any{"email": email, "email_verified": true})
}

// GitHubWorkflow are the claims of a GitHub Actions token that GitHubToken
// sets; empty fields get plausible defaults.
type GitHubWorkflow struct {
	Repository string // "OWNER/REPO" (required)
	Workflow   string // file under .github/workflows; default "release.yml"
	Ref        string // default "refs/tags/v1.0.0"
	SHA        string // commit; default 40 "a"s
	EventName  string // default "push"
}

// Identity is the certificate subject Fulcio issues for w:
// https://github.com/OWNER/REPO/.github/workflows/FILE@REF.
func (w GitHubWorkflow) Identity() string {
	w = w.defaults()
	return "https://github.com/" + w.Repository + "/.github/workflows/" + w.Workflow + "@" + w.Ref
}

func (w GitHubWorkflow) defaults() GitHubWorkflow {
	if w.Workflow == "" {
		w.Workflow = "release.yml"
	}
	if w.Ref == "" {
		w.Ref = "refs/tags/v1.0.0"
	}
	if w.SHA == "" {
		w.SHA = strings.Repeat("a", 40)
	}
	if w.EventName == "" {
		w.EventName = "push"
	}
	return w
}

// GitHubToken mints a token from GitHubIssuer with the claims GitHub
// Actions puts in its OIDC tokens: Fulcio's certificate carries
// w.Identity() as subject and the workflow extensions (repository, ref,
// commit, trigger, workflow name) that cosign's
// --certificate-github-workflow-* flags check.
func (s *Sigstore) GitHubToken(t testing.TB, w GitHubWorkflow) string {
	t.Helper()
	w = w.defaults()
	owner, _, _ := strings.Cut(w.Repository, "/")
	ref := w.Repository + "/.github/workflows/" + w.Workflow + "@" + w.Ref
	return s.Token(t, s.GitHubIssuer, "repo:"+w.Repository+":ref:"+w.Ref, map[string]any{
		"job_workflow_ref":      ref,
		"job_workflow_sha":      w.SHA,
		"workflow_ref":          ref,
		"workflow_sha":          w.SHA,
		"sha":                   w.SHA,
		"event_name":            w.EventName,
		"repository":            w.Repository,
		"repository_id":         "1",
		"repository_owner":      owner,
		"repository_owner_id":   "2",
		"repository_visibility": "public",
		"workflow":              strings.TrimSuffix(w.Workflow, ".yml"),
		"ref":                   w.Ref,
		"run_id":                "3",
		"run_attempt":           "1",
		"runner_environment":    "github-hosted",
	})
}
