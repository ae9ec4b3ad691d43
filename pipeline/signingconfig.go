package pipeline

import (
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/sreevishnu07/stevedore/sign"
)

// checkTrust refuses sign.signing-config next to a key: a signing config
// says where keyless signatures go, and a key signs without Fulcio.
func (s Signing) checkTrust(file string, root *yaml.Node, key string, path ...string) error {
	if s.SigningConfig == "" || (s.Key == "" && !s.Disabled) {
		return nil
	}
	other := "key"
	if s.Disabled {
		other = "disabled"
	}
	at := lineOf(root, append(path, "signing-config")...)
	return configError(file, at, 0, key+".signing-config", "%s.signing-config applies to keyless signing, not next to %s.%s: remove one of them", key, key, other)
}

// loadSigningConfig reads s's signing config (relative to the project
// directory) in the plan step, once per file, so a bad file fails the
// release before anything is built.
func (r *releaser) loadSigningConfig(s Signing) error {
	if s.SigningConfig == "" || r.signingConfigs[s.SigningConfig] != nil {
		return nil
	}
	if r.signingConfigs == nil {
		r.signingConfigs = map[string]*sign.SigningConfig{}
	}
	sc, err := sign.LoadSigningConfig(r.path(s.SigningConfig))
	if err != nil {
		return &sign.SetupError{What: "keyless signing", Err: err, Fix: "fix sign.signing-config in stevedore.yaml (or --signing-config)"}
	}
	r.signingConfigs[s.SigningConfig] = sc
	return nil
}

// checkRekorV2 refuses, in the plan step, a keyless image whose signing
// config's Rekor v2 log would have to record a legacy signature (the
// legacy format), in a registry or a layout alike.
func (r *releaser) checkRekorV2(pi PlannedImage) error {
	sc := r.signingConfigs[pi.sign.SigningConfig]
	if sc == nil || sc.RekorVersion() == 1 || !pi.sign.Keyless || pi.sign.Disabled {
		return nil
	}
	legacy, _, err := pi.sign.formats()
	if err != nil {
		return err
	}
	for _, d := range pi.Destinations {
		if legacy {
			return &sign.SetupError{
				What: "keyless signing of " + d,
				Err:  fmt.Errorf("signing config %s names a Rekor v%d log, which records Sigstore bundles only, and %s would get a legacy signature", sc.Path(), sc.RekorVersion(), d),
				Fix:  "sign in the bundle format (sign.format: bundle, --format bundle) and or use a signing config with a Rekor v1 log",
			}
		}
	}
	return nil
}

// keylessIdentity is the identity the verify step requires: the one
// configured, else the one Fulcio put in the signer's certificate (the
// token's subject and issuer), so the recorded verify commands name who
// actually signed.
func keylessIdentity(s Signing, signer *sign.Signer) (Signing, error) {
	if (s.Identity != "" || s.IdentityRegexp != "") && (s.Issuer != "" || s.IssuerRegexp != "") {
		return s, nil
	}
	id, iss, err := signer.CertificateIdentity()
	if err != nil {
		return s, err
	}
	if s.Identity == "" && s.IdentityRegexp == "" {
		s.Identity = id
	}
	if s.Issuer == "" && s.IssuerRegexp == "" {
		s.Issuer = iss
	}
	return s, nil
}

// trustOpts are the verification options a private Sigstore needs: its
// trusted root, and no SCT check when that root lists no CT log (its
// certificates carry none).
func (r *releaser) trustOpts(s Signing) ([]sign.Option, error) {
	if s.TrustedRoot == "" {
		return nil, nil
	}
	path := r.path(s.TrustedRoot)
	opts := []sign.Option{sign.WithTrustedRoot(path)}
	n, err := sign.TrustedRootCTLogs(path)
	if err != nil {
		return nil, fmt.Errorf("%w (sign.trusted-root in stevedore.yaml, or --trusted-root)", err)
	}
	if n == 0 {
		opts = append(opts, sign.WithIgnoreSCT(true))
	}
	return opts, nil
}
