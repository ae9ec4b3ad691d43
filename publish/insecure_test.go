package publish

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

func contextWithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}

type recordingRT struct{ calls int }

func (r *recordingRT) RoundTrip(*http.Request) (*http.Response, error) {
	r.calls++
	return nil, errors.New("should not be called")
}

func TestInsecureGuard(t *testing.T) {
	tests := []struct {
		url     string
		allowed []string
		ok      bool
	}{
		{"http://127.0.0.1:5000/v2/", nil, true},
		{"http://127.8.9.1/v2/", nil, true},
		{"http://localhost:5000/v2/", nil, true},
		{"http://[::1]:5000/v2/", nil, true},
		{"http://192.168.1.10:5000/v2/", nil, false},
		{"http://10.0.0.1/v2/", nil, false},
		{"http://registry.local/v2/", nil, false},
		{"http://192.168.1.10:5000/v2/", []string{"192.168.1.10:5000"}, true},
		{"http://192.168.1.10:5000/v2/", []string{"192.168.1.10"}, true},
		{"http://192.168.1.10:5000/v2/", []string{"192.168.1.10:5001"}, false},
		{"https://192.168.1.10:5000/v2/", nil, true},
	}
	for _, tt := range tests {
		rec := &recordingRT{}
		g := &insecureGuard{inner: rec, allowed: tt.allowed}
		req, _ := http.NewRequest(http.MethodGet, tt.url, nil)
		_, err := g.RoundTrip(req)
		if refused := errors.Is(err, ErrInsecure); refused == tt.ok || (rec.calls == 1) != tt.ok {
			t.Errorf("%s allowed=%v: err=%v calls=%d, want ok=%v", tt.url, tt.allowed, err, rec.calls, tt.ok)
		}
	}
}

// go-containerregistry would fall back to plain HTTP for an RFC1918 host;
// a plain-HTTP registry reached under such a name must be refused unless
// allowed. A dialer sends every connection to the loopback registry.
func TestPlainHTTPRefusedForPrivateHost(t *testing.T) {
	ctx := testCtx(t)
	real := registrytest.InProcess(t)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, real)
	}
	const fake = "192.168.77.77:5000"
	src, _ := layoutWith(t, "v1", registrytest.Image(t, 1, 64))
	_, err := Publish(ctx, src, []Reference{mustRef(t, fake+"/app:v1")}, nil, WithTransport(tr), fast)
	if err == nil {
		t.Fatalf("plain HTTP to %s was allowed", fake)
	}
	if !strings.Contains(err.Error(), "plain HTTP") {
		t.Errorf("error does not explain the refusal: %v", err)
	}
	// Allowed explicitly, it works.
	ins := WithInsecureRegistries(fake)
	if _, err := Publish(ctx, src, []Reference{mustRef(t, fake+"/app:v1", ins)}, nil, WithTransport(tr), ins, fast); err != nil {
		t.Fatalf("with WithInsecureRegistries: %v", err)
	}
}
