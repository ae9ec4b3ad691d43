package sign

import (
	"errors"
	"fmt"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	sgsign "github.com/sigstore/sigstore-go/pkg/sign"
)

// SigningConfig is a Sigstore signing_config.json (media type v0.2): the
// Fulcio, Rekor (API v1 or v2) and timestamp authority a keyless signer
// uses, as `cosign sign --signing-config` reads it. Private Sigstore
// deployments hand it out next to their trusted_root.json.
type SigningConfig struct {
	path   string
	fulcio string
	rekor  root.Service
	tsas   []string
}

// LoadSigningConfig reads and checks a signing config file: it must name
// a Fulcio, a Rekor log and a timestamp authority valid now (keyless
// signatures prove their time with the TSA; Rekor v2 records no time of
// its own).
func LoadSigningConfig(path string) (*SigningConfig, error) {
	fail := func(err error) (*SigningConfig, error) {
		return nil, fmt.Errorf("reading signing config %s: %w", path, err)
	}
	sc, err := root.NewSigningConfigFromPath(path)
	if err != nil {
		return fail(err)
	}
	now := time.Now()
	fulcio, err := root.SelectService(sc.FulcioCertificateAuthorityURLs(), []uint32{1}, now)
	if err != nil {
		return fail(fmt.Errorf("caUrls: %w", err))
	}
	rekors, err := root.SelectServices(sc.RekorLogURLs(), sc.RekorLogURLsConfig(), sgsign.RekorAPIVersions, now)
	if err != nil {
		return fail(fmt.Errorf("rekorTlogUrls: %w", err))
	}
	if len(rekors) != 1 {
		return fail(fmt.Errorf("rekorTlogUrls: %d logs selected; stevedore records in one (use selector ANY)", len(rekors)))
	}
	tsas, err := root.SelectServices(sc.TimestampAuthorityURLs(), sc.TimestampAuthorityURLsConfig(), []uint32{1}, now)
	if err != nil {
		return fail(fmt.Errorf("tsaUrls: %w", err))
	}
	if len(tsas) == 0 {
		return fail(errors.New("tsaUrls: no timestamp authority; keyless signatures need one to prove when they were made"))
	}
	c := &SigningConfig{path: path, fulcio: fulcio.URL, rekor: rekors[0]}
	for _, t := range tsas {
		c.tsas = append(c.tsas, t.URL)
	}
	return c, nil
}

// Path is the file the config was read from.
func (c *SigningConfig) Path() string { return c.path }

// FulcioURL is the certificate authority the config selects.
func (c *SigningConfig) FulcioURL() string { return c.fulcio }

// RekorURL and RekorVersion are the transparency log the config selects
// and its major API version (1 or 2).
func (c *SigningConfig) RekorURL() string     { return c.rekor.URL }
func (c *SigningConfig) RekorVersion() uint32 { return c.rekor.MajorAPIVersion }

// TrustedRootCTLogs counts the certificate transparency logs a
// trusted_root.json lists. A private Sigstore without one issues
// certificates with no SCT, which verifiers accept only with
// --insecure-ignore-sct (WithIgnoreSCT).
func TrustedRootCTLogs(path string) (int, error) {
	tr, err := root.NewTrustedRootFromPath(path)
	if err != nil {
		return 0, fmt.Errorf("loading trusted root %s: %w", path, err)
	}
	return len(tr.CTLogs()), nil
}
