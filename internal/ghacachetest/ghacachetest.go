// Package ghacachetest runs GitHub Actions' cache service for tests, on
// loopback, in this process: API v1 is the service nektos/act serves to
// the workflows it runs (Start); API v2, the twirp service with uploads and
// downloads through signed Azure Blob Storage URLs that GitHub moved every
// runner to, is implemented here (StartV2) from the protocol its clients
// speak: actions/toolkit's @actions/cache and go-actions-cache, which
// BuildKit uses.
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
	// URL is what GitHub puts in ACTIONS_CACHE_URL (v1) or
	// ACTIONS_RESULTS_URL (v2).
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

// Scope is one entry of a runtime token's "ac" claim: a git ref whose
// cache entries the token may read (Permission 1) or read and write (3).
type Scope struct {
	Scope      string
	Permission int
}

// Permissions a Scope grants, as GitHub encodes them.
const (
	PermissionRead  = 1
	PermissionWrite = 2
)

// NewToken is a runtime token as go-actions-cache and BuildKit read it:
// a JWT whose "ac" claim grants read and write on the repository scope.
// It is signed with a key no StartV2 server accepts.
func NewToken(t testing.TB) string {
	t.Helper()
	return signToken(t, []byte("test"), []Scope{{Scope: "", Permission: PermissionRead | PermissionWrite}})
}

func signToken(t testing.TB, key []byte, scopes []Scope) string {
	t.Helper()
	ac, err := json.Marshal(scopes)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	claims := jwt.MapClaims{
		"ac":  string(ac),
		"nbf": now.Add(-time.Minute).Unix(),
		"exp": now.Add(time.Hour).Unix(),
		"jti": now.String(),
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
