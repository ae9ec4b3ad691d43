package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sreevishnu07/stevedore/event"
	"github.com/sreevishnu07/stevedore/internal/atomicfile"
	"github.com/sreevishnu07/stevedore/sign"
)

// GitHubOIDCIssuer is the issuer of GitHub Actions' OIDC tokens: what a
// keyless signature made in Actions carries.
const GitHubOIDCIssuer = "https://token.actions.githubusercontent.com"

// DefaultKeyDir holds the local default key, created on first use outside CI.
const DefaultKeyDir = ".stevedore"

// SigningEnv is the environment's say in how a release signs. The CLI reads
// the variables and fills it in; this package reads no environment.
//
// The policy, for an image whose configuration names no key, no keyless and
// does not turn signing off:
//   - in GitHub Actions with an OIDC token to request (the job has
//     `permissions: id-token: write`): keyless, with the workflow's identity;
//   - in any other CI: refused in the plan step, since a key made on the
//     runner is thrown away with it and nobody could verify the release;
//   - locally: the key under .stevedore/, created (and said so) on first use.
type SigningEnv struct {
	// CI is true on a CI runner (GITHUB_ACTIONS=true, CI=true, GITLAB_CI).
	CI bool
	// GitHubActions is true inside GitHub Actions (GITHUB_ACTIONS=true).
	GitHubActions bool
	// WorkflowIdentity is the certificate identity of a keyless signature
	// this workflow makes: https://github.com/$GITHUB_WORKFLOW_REF.
	WorkflowIdentity string
	// Token is where keyless signing gets its OIDC token.
	Token sign.TokenSource
	// Password decrypts key files ($COSIGN_PASSWORD).
	Password []byte
	// Lookup resolves env://VAR keys.
	Lookup func(string) string
}

// Fixes named by the signing policy's errors.
const (
	noCISignerFix = "a key made on the runner would be thrown away with it, and nobody could verify the release: " +
		"add `permissions: id-token: write` to the job to sign keyless, " +
		"or sign with a key you keep (--key, the action's key input, or sign.key in stevedore.yaml), " +
		"or say --sign none (sign.disabled: true in stevedore.yaml) to release unsigned"
)

// resolve applies the policy to one image's signing configuration: what
// it returns names the signing mode and, for keyless, the identity
// verification requires.
func (e *SigningEnv) resolve(s Signing) (Signing, error) {
	if _, _, err := s.formats(); err != nil {
		return s, err
	}
	if s.SigningConfig != "" && s.Key == "" {
		// A signing config says where keyless signatures go; cosign v3
		// signs in the bundle format with one.
		s.Keyless = true
		if s.Format == "" {
			s.Format = FormatBundle
		}
	}
	switch {
	case s.Disabled:
		return s, nil
	case s.Key != "" && s.SigningConfig != "":
		return s, &sign.SetupError{What: "choosing a signer", Err: errors.New("a signing config (sign.signing-config, --signing-config) applies to keyless signing, and a key is set"), Fix: "drop the key or the signing config"}
	case s.Key != "" && s.Keyless:
		return s, &sign.SetupError{What: "choosing a signer", Err: errors.New("sign.key and sign.keyless exclude each other"), Fix: "keep one"}
	case s.Key != "" || s.Keyless:
	case e.GitHubActions && e.Token.GitHub() && !s.Local:
		s.Keyless = true
	case e.CI:
		return s, &sign.SetupError{What: "choosing a signer", Err: errors.New("this CI job has no signing key and no OIDC token for keyless signing"), Fix: noCISignerFix}
	}
	if !s.Keyless {
		return s, nil
	}
	if _, bundle, _ := s.formats(); bundle && s.SigningConfig == "" {
		return s, &sign.SetupError{What: "keyless signing", Err: fmt.Errorf("sign.format %s: keyless bundles need a signing config", s.Format), Fix: "pass --signing-config FILE (sign.signing-config in stevedore.yaml; `cosign signing-config create` writes one), or use --format legacy (sign.format: legacy)"}
	}
	if e.GitHubActions {
		if s.Identity == "" && s.IdentityRegexp == "" {
			s.Identity = e.WorkflowIdentity
		}
		if s.Issuer == "" && s.IssuerRegexp == "" {
			s.Issuer = GitHubOIDCIssuer
		}
	}
	// With no identity configured the verify step requires the one the
	// certificate carries (the token's subject and issuer): the recorded
	// verify commands then name who actually signed.
	if !e.Token.Available() {
		return s, &sign.SetupError{What: "keyless signing", Err: errors.New("no OIDC identity token"), Fix: sign.NoTokenFix}
	}
	return s, nil
}

// spec is how s's signer is made.
func (r *releaser) spec(s Signing) sign.SignerSpec {
	e := r.o.signingEnv
	key := s.Key
	if key == "" && !s.Keyless {
		key = filepath.Join(DefaultKeyDir, "cosign.key")
	}
	if key != "" && !sign.IsKMSURI(key) && !hasEnvPrefix(key) {
		key = r.path(key)
	}
	return sign.SignerSpec{
		Key: key, Password: e.Password, Lookup: e.Lookup,
		Keyless: s.Keyless, Token: e.Token,
		Fulcio:        sign.KeylessConfig{FulcioURL: s.FulcioURL, RekorURL: s.RekorURL},
		SigningConfig: r.signingConfigs[s.SigningConfig],
		KeyFlag:       "--key (sign.key in stevedore.yaml)", PasswordVar: "COSIGN_PASSWORD",
	}
}

func hasEnvPrefix(key string) bool { return strings.HasPrefix(key, "env://") }

// prepareSigners checks every image's signing material in the plan step,
// before anything is built: key files are read and decrypted (and kept for
// the sign step), keyless needs a token source. The local default key is
// created here when missing (not in a dry run).
func (r *releaser) prepareSigners(ctx context.Context) error {
	if r.o.signer != nil || r.o.signingEnv == nil {
		return nil
	}
	r.signers = map[string]*sign.Signer{}
	for _, pi := range r.plan_.Images {
		s := pi.sign
		if err := r.loadSigningConfig(s); err != nil {
			return fmt.Errorf("image %s: %w", pi.Name, err)
		}
		if err := r.checkRekorV2(pi); err != nil {
			return fmt.Errorf("image %s: %w", pi.Name, err)
		}
		if s.Disabled || s.Keyless {
			continue // keyless was checked by resolve; its certificate is fetched when signing
		}
		spec := r.spec(s)
		if r.signers[spec.Key] != nil || sign.IsKMSURI(spec.Key) {
			continue
		}
		if s.Key == "" {
			if _, err := os.Stat(spec.Key); errors.Is(err, fs.ErrNotExist) {
				if r.o.dryRun {
					continue
				}
				if err := r.createDefaultKey(spec.Key); err != nil {
					return err
				}
			}
		}
		signer, err := spec.New(ctx) // a key file or env://: no I/O beyond reading it
		if err != nil {
			return fmt.Errorf("image %s: %w", pi.Name, err)
		}
		r.signers[spec.Key] = signer
	}
	return nil
}

// signerFor is the signer of one image: the one loaded in the plan step,
// or for keyless and KMS keys a new one.
func (r *releaser) signerFor(ctx context.Context, ir *imageRun) (*sign.Signer, error) {
	if r.o.signer != nil {
		return r.o.signer(ctx, ir.p.sign)
	}
	spec := r.spec(ir.p.sign)
	if s := r.signers[spec.Key]; s != nil && !spec.Keyless {
		return s, nil
	}
	return spec.New(ctx)
}

// createDefaultKey writes the local default key pair, encrypted with the
// password, and says so: the private half must stay out of version control.
func (r *releaser) createDefaultKey(key string) error {
	priv, pub, err := sign.GenerateKeys(r.o.signingEnv.Password)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(key), 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(key), err)
	}
	if err := atomicfile.WriteFile(key, priv, 0o600); err != nil {
		return fmt.Errorf("writing signing key %s: %w", key, err)
	}
	pubFile := filepath.Join(filepath.Dir(key), "cosign.pub")
	if err := atomicfile.WriteFile(pubFile, pub, 0o644); err != nil {
		return fmt.Errorf("writing public key %s: %w", pubFile, err)
	}
	r.notice(fmt.Sprintf("created a signing key: %s (private, encrypted with $COSIGN_PASSWORD) and %s; keep %s out of version control", key, pubFile, DefaultKeyDir))
	if len(r.o.signingEnv.Password) == 0 {
		r.notice(fmt.Sprintf("warning: COSIGN_PASSWORD is empty, so %s is not protected by a password; set COSIGN_PASSWORD before the first release to encrypt it", key))
	}
	return nil
}

func (r *releaser) notice(msg string) {
	r.plan_.Notes = append(r.plan_.Notes, msg)
	r.o.progress.Emit(event.Notice{Message: msg})
}

// Signature formats (sign.format, --format).
const (
	FormatLegacy = "legacy" // .sig/.att tags, as cosign v2 writes
	FormatBundle = "bundle" // Sigstore bundles as OCI referrers, as cosign v3 writes
	FormatBoth   = "both"
)

// formats says which formats s writes, to registries and layouts. Legacy is the
// default: every verifier in use reads it (cosign v2 reads nothing else;
// cosign v3, Kyverno and policy-controller read it too).
func (s Signing) formats() (legacy, bundle bool, err error) {
	switch s.Format {
	case "", FormatLegacy:
		return true, false, nil
	case FormatBundle:
		return false, true, nil
	case FormatBoth:
		return true, true, nil
	}
	return false, false, fmt.Errorf("%w: sign.format %q (--format): want legacy, bundle or both", ErrConfig, s.Format)
}
