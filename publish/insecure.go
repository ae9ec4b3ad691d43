package publish

import (
	"net"
	"net/http"
	"strings"
)

// insecureGuard refuses plain-HTTP requests to hosts that may not use it.
// go-containerregistry falls back to HTTP by itself for RFC1918 addresses and
// *.local names (name.Registry.Scheme); on a CI runner those are exactly the
// networks where an attacker on the path is plausible, so the decision is
// taken here, below ggcr, where every request (pings, tokens, redirects)
// passes.
type insecureGuard struct {
	inner   http.RoundTripper
	allowed []string
}

func (g *insecureGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !insecureAllowed(req.URL.Host, g.allowed) {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, newKindError(ErrInsecure, nil, "refusing plain HTTP to %s: only loopback hosts and those given to WithInsecureRegistries (--insecure-registry) may use HTTP; serve the registry over HTTPS or allow it explicitly", req.URL.Host)
	}
	return g.inner.RoundTrip(req)
}

// insecureAllowed reports whether host ("host" or "host:port") may use plain HTTP.
func insecureAllowed(host string, allowed []string) bool {
	if host == "" {
		return false
	}
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	h = strings.Trim(h, "[]")
	if isLoopback(h) {
		return true
	}
	for _, a := range allowed {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if strings.EqualFold(a, host) {
			return true
		}
		if _, _, err := net.SplitHostPort(a); err != nil && strings.EqualFold(strings.Trim(a, "[]"), h) {
			return true // entry without port matches any port
		}
	}
	return false
}

func isLoopback(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
