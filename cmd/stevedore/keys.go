package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/urfave/cli/v2"

	"github.com/sreevishnu07/stevedore/publish"
	"github.com/sreevishnu07/stevedore/sign"
	// KMS providers (awskms, gcpkms, azurekms, hashivault) with the
	// stevedore_kms build tags; without them a KMS URI fails naming the tag.
	_ "github.com/sreevishnu07/stevedore/sign/kms"
)

// envCosignPassword is where the password of a cosign private key comes from, as
// with cosign. It is read here only, handed to the sign package and never
// printed.
const envCosignPassword = "COSIGN_PASSWORD"

// signerFlags are the key flags of sign and attest (cosign's names).
func signerFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "key", Usage: "private key: a cosign.key `FILE` (password in $COSIGN_PASSWORD), env://VAR holding the PEM, or a KMS URI (awskms://, gcpkms://, azurekms://, hashivault://)"},
		&cli.BoolFlag{Name: "keyless", Usage: "sign with a short-lived Fulcio certificate for the GitHub Actions OIDC identity (needs `permissions: id-token: write`)"},
		&cli.StringFlag{Name: "identity-token", Usage: "OIDC `TOKEN` for --keyless outside GitHub Actions (default $SIGSTORE_ID_TOKEN)"},
		signingConfigFlag(),
		&cli.StringFlag{Name: "fulcio-url", Value: sign.DefaultFulcioURL, Usage: "deprecated for --keyless (legacy format only): Fulcio `URL`; name a private Sigstore with --signing-config"},
		&cli.StringFlag{Name: "rekor-url", Value: sign.DefaultRekorURL, Usage: "Rekor transparency log `URL` (--key --tlog-upload; deprecated for --keyless, see --fulcio-url)"},
		&cli.BoolFlag{Name: "tlog-upload", Usage: "record in the Rekor transparency log (default: off with --key, always on with --keyless)"},
		&cli.StringSliceFlag{Name: "insecure-registry", Usage: "allow plain HTTP to this `HOST[:PORT]` (localhost and 127.0.0.0/8 always are)"},
	}
}

// loadSigner turns the key flags of sign and attest into a signer, through
// the same sign.SignerSpec the release uses.
func loadSigner(c *cli.Context, getenv env) (*sign.Signer, error) {
	key, keyless := c.String("key"), c.Bool("keyless")
	var sc *sign.SigningConfig
	if f := c.String("signing-config"); f != "" {
		if key != "" {
			return nil, usageErrorf("--signing-config applies to keyless signing: drop --key, or --signing-config")
		}
		var err error
		if sc, err = sign.LoadSigningConfig(f); err != nil {
			return nil, usageErrorf("--signing-config: %v", err)
		}
		keyless = true
	}
	urls := c.IsSet("fulcio-url") || c.IsSet("rekor-url")
	switch {
	case key != "" && keyless:
		return nil, usageErrorf("--key and --keyless exclude each other")
	case !keyless && key == "":
		return nil, usageErrorf("no key: pass --key cosign.key (make one with stevedore keygen), --key env://VAR, a KMS URI, or --keyless")
	case sc != nil && urls:
		return nil, usageErrorf("--signing-config names the Fulcio and Rekor to use: drop --fulcio-url and --rekor-url")
	case keyless && urls:
		fmt.Fprintln(c.App.ErrWriter, deprecatedSigstoreURLs)
	}
	spec := sign.SignerSpec{
		Key: key, Password: []byte(getenv(envCosignPassword)), Lookup: func(k string) string { return getenv(k) },
		Keyless: keyless, Token: tokenSource(getenv, c.String("identity-token")),
		Fulcio:        sign.KeylessConfig{FulcioURL: c.String("fulcio-url"), RekorURL: c.String("rekor-url")},
		SigningConfig: sc,
		KeyFlag:       "--key", PasswordVar: envCosignPassword,
	}
	s, err := spec.New(c.Context)
	return s, kmsUsage(err)
}

// deprecatedSigstoreURLs is the notice for --keyless with --fulcio-url or
// --rekor-url: that path signs in the legacy format only, through Rekor v1
// without a timestamp authority. A signing config names the same servers
// (plus the TSA a bundle proves its time with) and signs bundles, as
// cosign v3 does; keeping one keyless path for private Sigstores keeps one
// set of files (signing config, trusted root) to verify against.
const deprecatedSigstoreURLs = `stevedore: --fulcio-url and --rekor-url are deprecated for --keyless and sign in the legacy format only (.sig/.att tags); name your Sigstore in a signing config and pass --signing-config FILE instead, which signs Sigstore bundles as cosign v3 does:
  cosign signing-config create --fulcio=url=FULCIO,api-version=1,start-time=2024-01-01T00:00:00Z,operator=you --rekor=url=REKOR,api-version=1,start-time=2024-01-01T00:00:00Z,operator=you --rekor-config=ANY --tsa=url=TSA/api/v1/timestamp,api-version=1,start-time=2024-01-01T00:00:00Z,operator=you --tsa-config=EXACT:1 --out signing_config.json`

// tokenSource is where keyless signing gets its OIDC token: flag (--identity-token), else
// $SIGSTORE_ID_TOKEN (any CI: GitLab's id_tokens, Buildkite, …), else
// GitHub Actions' token endpoint.
func tokenSource(getenv env, flag string) sign.TokenSource {
	if flag == "" {
		flag = getenv("SIGSTORE_ID_TOKEN")
	}
	return sign.TokenSource{
		IDToken:            flag,
		GitHubRequestURL:   getenv("ACTIONS_ID_TOKEN_REQUEST_URL"),
		GitHubRequestToken: getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
	}
}

// signOptions are the options sign and attest share.
func signOptions(c *cli.Context, getenv env) []sign.Option {
	opts := []sign.Option{sign.WithRemoteOptions(remoteOptions(c.Context, getenv, c.StringSlice("insecure-registry"))...)}
	if c.IsSet("tlog-upload") {
		opts = append(opts, sign.WithTlogUpload(c.Bool("tlog-upload")))
	}
	if c.IsSet("rekor-url") {
		opts = append(opts, sign.WithRekorURL(c.String("rekor-url")))
	}
	return opts
}

func remoteOptions(ctx context.Context, getenv env, insecure []string) []remote.Option {
	return publish.RemoteOptions(ctx, publishOptions(getenv, insecure)...)
}

func publishOptions(getenv env, insecure []string) []publish.Option {
	return []publish.Option{publish.WithKeychain(keychain(getenv)), publish.WithInsecureRegistries(insecure...)}
}

// loadVerifier reads --key for verify: a public key file, env://VAR or a
// KMS URI.
func loadVerifier(c *cli.Context, getenv env) (*sign.Verifier, error) {
	key := c.String("key")
	if sign.IsKMSURI(key) {
		v, err := sign.LoadKMSVerifier(c.Context, key)
		return v, kmsUsage(err)
	}
	if v, ok := strings.CutPrefix(key, "env://"); ok {
		pem := getenv(v)
		if pem == "" {
			return nil, usageErrorf("--key %s: $%s is empty or unset (it must hold the PEM public key)", key, v)
		}
		return sign.LoadVerifier([]byte(pem))
	}
	return sign.LoadVerifierFile(key)
}

func kmsUsage(err error) error {
	if errors.Is(err, sign.ErrKMSNotLinked) {
		return usageErrorf("%v", err)
	}
	return err
}

// annotations parses -a key=value flags.
func annotations(c *cli.Context) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range c.StringSlice("annotation") {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, usageErrorf("-a %q: want key=value", a)
		}
		out[k] = v
	}
	return out, nil
}

func keygenCommand(getenv env) *cli.Command {
	return &cli.Command{
		Name:      "keygen",
		Usage:     "write a cosign-compatible key pair (cosign.key, cosign.pub)",
		UsageText: "stevedore keygen [--output-key-prefix cosign]",
		Description: `Writes PREFIX.key (ECDSA P-256, encrypted with $COSIGN_PASSWORD, mode 0600)
and PREFIX.pub, as cosign generate-key-pair does. An empty password is allowed
but leaves the key protected by its file mode only. Existing files are never
overwritten.`,
		OnUsageError: commandUsage,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output-key-prefix", Value: "cosign", Usage: "write `PREFIX`.key and PREFIX.pub"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("keygen takes no arguments (got %q)", c.Args().First())
			}
			prefix := c.String("output-key-prefix")
			priv, pub := prefix+".key", prefix+".pub"
			for _, f := range []string{priv, pub} {
				if _, err := os.Lstat(f); err == nil {
					return usageErrorf("%s exists: refusing to overwrite a key (remove it or choose --output-key-prefix)", f)
				} else if !errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("checking %s: %w", f, err)
				}
			}
			password := getenv(envCosignPassword)
			privPEM, pubPEM, err := sign.GenerateKeys([]byte(password))
			if err != nil {
				return err
			}
			if err := writeNew(priv, privPEM, 0o600); err != nil {
				return err
			}
			if err := writeNew(pub, pubPEM, 0o644); err != nil {
				os.Remove(priv)
				return err
			}
			if password == "" {
				fmt.Fprintf(c.App.ErrWriter, "stevedore: warning: $%s is empty: %s is encrypted with an empty password\n", envCosignPassword, priv)
			}
			fmt.Fprintf(c.App.Writer, "Private key written to %s\nPublic key written to %s\n", priv, pub)
			return nil
		},
	}
}

// writeNew creates file exclusively (O_EXCL: never replaces one that
// appeared since the check) with mode perm.
func writeNew(file string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if errors.Is(err, fs.ErrExist) {
		return usageErrorf("%s exists: refusing to overwrite a key", file)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(file)
		return fmt.Errorf("writing %s: %w", file, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(file)
		return fmt.Errorf("writing %s: %w", file, err)
	}
	return nil
}
