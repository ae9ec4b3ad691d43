package buildkit

import (
	"errors"
	"strings"
	"testing"
)

func TestParseAddress(t *testing.T) {
	good := map[string]string{
		"":                                      Embedded,
		"embedded":                              Embedded,
		"unix:///run/buildkit/buildkitd.sock":   "unix",
		"tcp://127.0.0.1:1234":                  "tcp",
		"docker-container://buildx_buildkit_b0": "docker-container",
		"kube-pod://buildkitd-0":                "kube-pod",
	}
	for in, scheme := range good {
		a, err := ParseAddress(in)
		if err != nil || a.Scheme != scheme {
			t.Errorf("ParseAddress(%q) = %+v, %v; want scheme %q", in, a, err, scheme)
		}
	}
	bad := map[string]string{
		"ssh://host":         "unknown scheme",
		"localhost:1234":     "unknown scheme",
		"unix://":            "no socket path",
		"tcp://127.0.0.1":    "no port",
		"kube-pod://":        "no container or pod name",
		"/run/buildkit.sock": "want",
	}
	for in, want := range bad {
		_, err := ParseAddress(in)
		if !errors.Is(err, ErrBadAddress) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), in) {
			t.Errorf("ParseAddress(%q) error = %v; want ErrBadAddress mentioning %q and the input", in, err, want)
		}
	}
}
