// Package ghacachetest runs a real GitHub Actions cache service for tests:
// the one nektos/act serves to the workflows it runs (cache API v1), on
// loopback, in this process.
package ghacachetest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/nektos/act/pkg/artifactcache"
)

// Server is a cache service and a runtime token it accepts.
type Server struct {
	// URL is what GitHub puts in ACTIONS_CACHE_URL.
	URL string
	// Token is an ACTIONS_RUNTIME_TOKEN-style JWT for the whole repository.
	Token string
}

// Start serves the cache from a temporary directory until the test ends.
// act's server does not check tokens (act hands out its own), so the
// server is behind a proxy that answers 401, as GitHub's service does,
// to API calls without "Bearer TOKEN".
func Start(t testing.TB) *Server {
	t.Helper()
	h, err := artifactcache.StartHandler(t.TempDir(), "", "127.0.0.1", 0, nil)
	if err != nil {
		t.Fatalf("starting act's cache server: %v", err)
	}
	t.Cleanup(func() { h.Close() })
	token := NewToken(t)
	target, _ := url.Parse(h.ExternalURL())
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]any{"message": "TF400813: The user is not authorized to access this resource.", "typeKey": "UnauthorizedRequestException"})
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return &Server{URL: srv.URL + target.Path + "/", Token: token}
}

// NewToken is a runtime token as go-actions-cache and BuildKit read it:
// a JWT whose "ac" claim grants read and write on the repository scope.
func NewToken(t testing.TB) string {
	t.Helper()
	now := time.Now()
	claims := jwt.MapClaims{
		"ac":  `[{"Scope":"","Permission":3}]`,
		"nbf": now.Add(-time.Minute).Unix(),
		"exp": now.Add(time.Hour).Unix(),
		"jti": now.String(),
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte("test"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}
