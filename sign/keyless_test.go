package sign

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Keyless signing itself needs Fulcio and Rekor (network); only what runs
// offline is tested here.

func TestGitHubIDToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer req-token" || r.URL.Query().Get("audience") != "sigstore" || r.URL.Query().Get("api-version") != "2.0" {
			http.Error(w, "bad request", http.StatusForbidden)
			return
		}
		w.Write([]byte(`{"count":1,"value":"the.id.token"}`))
	}))
	defer srv.Close()
	tok, err := GitHubIDToken(t.Context(), srv.URL+"/token?api-version=2.0", "req-token", nil)
	if err != nil || tok != "the.id.token" {
		t.Fatalf("token = %q, %v", tok, err)
	}
	_, err = GitHubIDToken(t.Context(), srv.URL+"/token", "secret-request-token", nil)
	if err == nil || strings.Contains(err.Error(), "secret-request-token") {
		t.Fatalf("err = %v", err)
	}
	_, err = GitHubIDToken(t.Context(), "", "", nil)
	if err == nil || !strings.Contains(err.Error(), "permissions: id-token: write") {
		t.Fatalf("err = %v", err)
	}
}

func TestKeylessNeedsToken(t *testing.T) {
	_, err := NewKeylessSigner(context.Background(), "", KeylessConfig{})
	if err == nil || !strings.Contains(err.Error(), "id-token: write") {
		t.Fatalf("err = %v", err)
	}
	// A token that is not a JWT fails before any request.
	_, err = NewKeylessSigner(context.Background(), "not-a-jwt", KeylessConfig{FulcioURL: "http://127.0.0.1:1"})
	if err == nil {
		t.Fatal("garbage token accepted")
	}
}

func TestKeylessRequiresTlog(t *testing.T) {
	a, _ := keys(t)
	s := a.signer(t)
	// A keyless signer is a key signer plus a certificate; fake one offline.
	s.cert = []byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
	ctx, d := newRegistryImage(t)
	_, err := Sign(ctx, d, s, WithTlogUpload(false))
	if err == nil || !strings.Contains(err.Error(), "keyless signing needs the transparency log") {
		t.Fatalf("err = %v", err)
	}
}

func TestVerifyKeylessNeedsIdentity(t *testing.T) {
	ctx, d := newRegistryImage(t)
	_, err := Verify(ctx, d, WithCertOIDCIssuer("https://token.actions.githubusercontent.com"))
	if err == nil || !strings.Contains(err.Error(), "--certificate-identity") || strings.Contains(err.Error(), "With") {
		t.Fatalf("err = %v", err)
	}
}
