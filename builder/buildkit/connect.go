package buildkit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/moby/buildkit/client"
	// Registered for their schemes: BuildKit's client dials docker-container://
	// and kube-pod:// through these helpers.
	_ "github.com/moby/buildkit/client/connhelper/dockercontainer"
	_ "github.com/moby/buildkit/client/connhelper/kubepod"
)

// ErrUnreachable is returned when a BuildKit daemon does not answer.
var ErrUnreachable = errors.New("builder unreachable")

// TLS holds the mTLS files for a tcp:// builder.
type TLS struct {
	CA, Cert, Key string
	// ServerName overrides the name checked in the daemon's certificate.
	ServerName string
}

// clientOptions are the client's TLS settings: BuildKit's client reads the
// files itself when it dials.
func clientOptions(tlsFiles *TLS) []client.ClientOpt {
	if tlsFiles == nil {
		return nil
	}
	var opts []client.ClientOpt
	if tlsFiles.CA != "" || tlsFiles.ServerName != "" {
		opts = append(opts, client.WithServerConfig(tlsFiles.ServerName, tlsFiles.CA))
	}
	if tlsFiles.Cert != "" || tlsFiles.Key != "" {
		opts = append(opts, client.WithCredentials(tlsFiles.Cert, tlsFiles.Key))
	}
	return opts
}

// Check dials a BuildKit daemon and asks it for its workers, so a bad address,
// a wrong certificate or a stopped daemon fails the plan step, before any
// build starts. It returns the connected client; the caller closes it.
func Check(ctx context.Context, a Address, tlsFiles *TLS, timeout time.Duration) (*client.Client, error) {
	if a.IsEmbedded() {
		return nil, fmt.Errorf("checking builder %q: %w: the embedded builder has no daemon", a.Raw, ErrBadAddress)
	}
	if tlsFiles != nil && (tlsFiles.Cert == "") != (tlsFiles.Key == "") {
		return nil, fmt.Errorf("checking builder %s: %w: a client certificate needs its key and a key its certificate (set both --builder-tls-cert and --builder-tls-key, or builder-tls: cert and key in stevedore.yaml)", a.Raw, ErrBadAddress)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	fix := "check --builder"
	if a.Scheme == "tcp" {
		fix += " and its TLS files: --builder-tls-ca, --builder-tls-cert, --builder-tls-key (builder-tls: in stevedore.yaml)"
	}
	c, err := client.New(ctx, a.Raw, clientOptions(tlsFiles)...)
	if err != nil {
		return nil, fmt.Errorf("connecting to builder %s: %w: %w (%s)", a.Raw, ErrUnreachable, err, fix)
	}
	if _, err := c.ListWorkers(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("connecting to builder %s: %w: %w (%s)", a.Raw, ErrUnreachable, err, fix)
	}
	return c, nil
}
