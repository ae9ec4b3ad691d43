// Package buildkit drives BuildKit daemons as an alternative to the embedded
// builder. This file owns the parsing of builder addresses, so a bad
// --builder value fails in the plan step, before anything is built.
package buildkit

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrBadAddress is returned for a builder address stevedore cannot use.
var ErrBadAddress = errors.New("bad builder address")

// Embedded names the default, daemonless builder.
const Embedded = "embedded"

// schemes BuildKit's client dials itself or through its connection helpers.
var schemes = map[string]bool{"unix": true, "tcp": true, "docker-container": true, "kube-pod": true}

// Address is a parsed --builder value.
type Address struct {
	// Raw is the value as the user typed it; it is what BuildKit's client dials.
	Raw string
	// Scheme is "embedded" or one of unix, tcp, docker-container, kube-pod.
	Scheme string
}

// IsEmbedded reports whether the address selects the embedded builder.
func (a Address) IsEmbedded() bool { return a.Scheme == Embedded }

// ParseAddress checks a --builder value. An empty value selects the embedded
// builder, the default that needs no daemon.
func ParseAddress(s string) (Address, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == Embedded {
		return Address{Raw: Embedded, Scheme: Embedded}, nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return Address{}, fmt.Errorf("parsing builder %q: %w: want %q or unix://PATH, tcp://HOST:PORT, docker-container://NAME, kube-pod://NAME (set --builder or builder: in stevedore.yaml)", s, ErrBadAddress, Embedded)
	}
	if !schemes[u.Scheme] {
		return Address{}, fmt.Errorf("parsing builder %q: %w: unknown scheme %q; want unix, tcp, docker-container or kube-pod (set --builder or builder: in stevedore.yaml)", s, ErrBadAddress, u.Scheme)
	}
	switch {
	case u.Scheme == "unix" && u.Path == "":
		return Address{}, fmt.Errorf("parsing builder %q: %w: no socket path (write unix:///run/buildkit/buildkitd.sock)", s, ErrBadAddress)
	case u.Scheme == "tcp" && u.Port() == "":
		return Address{}, fmt.Errorf("parsing builder %q: %w: no port (write tcp://HOST:PORT)", s, ErrBadAddress)
	case (u.Scheme == "docker-container" || u.Scheme == "kube-pod") && u.Host == "":
		return Address{}, fmt.Errorf("parsing builder %q: %w: no container or pod name (write %s://NAME)", s, ErrBadAddress, u.Scheme)
	}
	return Address{Raw: s, Scheme: u.Scheme}, nil
}
