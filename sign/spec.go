package sign

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"strings"
)

// SignerSpec names a signer without making it: a cosign key (a file,
// env://VAR or a KMS URI) or keyless with an OIDC token source. Every
// command that signs builds one, so `sign`, `attest` and `release` load keys
// and tokens the same way. The CLI fills it from flags, stevedore.yaml and
// the environment values it read; this package reads no environment.
type SignerSpec struct {
	// Key is a cosign.key file, env://VAR or a KMS URI (key signing).
	Key string
	// Password decrypts Key (the CLI passes $COSIGN_PASSWORD).
	Password []byte
	// Lookup resolves env://VAR keys; nil resolves nothing.
	Lookup func(string) string
	// Keyless signs with a Fulcio certificate for the identity of a token
	// from Token.
	Keyless bool
	Token   TokenSource
	Fulcio  KeylessConfig
	// SigningConfig, when set, is where keyless signing finds Fulcio,
	// Rekor and the timestamp authority (NewSigningConfigSigner); Fulcio
	// is ignored then.
	SigningConfig *SigningConfig
	// KeyFlag and PasswordVar name, in errors, where Key and Password are
	// set ("--key", "sign.key in stevedore.yaml"; "COSIGN_PASSWORD").
	KeyFlag, PasswordVar string
}

// TokenSource is where a keyless signer gets its OIDC token: a token
// handed in ($SIGSTORE_ID_TOKEN, --identity-token; GitLab's id_tokens set
// it), else GitHub Actions' token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL
// and _TOKEN, present when the job has `permissions: id-token: write`).
type TokenSource struct {
	IDToken                              string
	GitHubRequestURL, GitHubRequestToken string
	// Client fetches GitHub's token (nil: http.DefaultClient).
	Client *http.Client
}

// Available reports whether a token can be had without asking anyone.
func (t TokenSource) Available() bool {
	return t.IDToken != "" || t.GitHub()
}

// GitHub reports whether GitHub Actions' token endpoint is available.
func (t TokenSource) GitHub() bool {
	return t.GitHubRequestURL != "" && t.GitHubRequestToken != ""
}

// Get returns the token, fetching GitHub's when none was handed in.
func (t TokenSource) Get(ctx context.Context) (string, error) {
	if t.IDToken != "" {
		return t.IDToken, nil
	}
	if !t.GitHub() {
		return "", &SetupError{What: "keyless signing", Err: errors.New("no OIDC identity token"), Fix: NoTokenFix}
	}
	return GitHubIDToken(ctx, t.GitHubRequestURL, t.GitHubRequestToken, t.Client)
}

// NoTokenFix says how to give keyless signing a token.
const NoTokenFix = "in GitHub Actions add `permissions: id-token: write` to the job (pull requests from forks never get a token); in other CI set SIGSTORE_ID_TOKEN to an OIDC token with audience sigstore (GitLab: id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore)"

// SetupError is signing material that cannot be used: a missing or
// unreadable key, a wrong password, no OIDC token. It is the user's to fix
// before anything is built; Fix says how.
type SetupError struct {
	What string // "reading signing key cosign.key"
	Err  error
	Fix  string
}

func (e *SetupError) Error() string {
	if e.Fix == "" {
		return fmt.Sprintf("%s: %v", e.What, e.Err)
	}
	return fmt.Sprintf("%s: %v; %s", e.What, e.Err, e.Fix)
}

func (e *SetupError) Unwrap() error { return e.Err }

// Check finds what would keep New from working, without network: a key
// file that is missing, unreadable or does not decrypt with Password, an
// empty env://VAR, a keyless spec with no token source. KMS keys are
// checked when used (that needs the provider's service). A caller that
// goes on to sign calls New instead: it checks the same and decrypts the
// key once (scrypt at cosign's cost is tens of milliseconds of CPU).
func (s SignerSpec) Check() error {
	if err := s.checkKind(); err != nil || s.Keyless || IsKMSURI(s.Key) {
		return err
	}
	_, err := s.loadKey()
	return err
}

// checkKind is what Check finds without reading a key.
func (s SignerSpec) checkKind() error {
	switch {
	case s.Keyless && s.Key != "":
		return &SetupError{What: "choosing a signer", Err: errors.New("a key and keyless signing exclude each other"), Fix: "choose one"}
	case s.Keyless && !s.Token.Available():
		return &SetupError{What: "keyless signing", Err: errors.New("no OIDC identity token"), Fix: NoTokenFix}
	}
	return nil
}

// New makes the signer, checking what Check does on the way. For keyless
// it gets the token and the Fulcio certificate (valid for minutes: call it
// right before signing).
func (s SignerSpec) New(ctx context.Context) (*Signer, error) {
	if err := s.checkKind(); err != nil {
		return nil, err
	}
	switch {
	case s.Keyless:
		tok, err := s.Token.Get(ctx)
		if err != nil {
			return nil, err
		}
		if s.SigningConfig != nil {
			return NewSigningConfigSigner(ctx, tok, s.SigningConfig)
		}
		return NewKeylessSigner(ctx, tok, s.Fulcio)
	case IsKMSURI(s.Key):
		return LoadKMSSigner(ctx, s.Key)
	}
	return s.loadKey()
}

func (s SignerSpec) loadKey() (*Signer, error) {
	flag := firstSet(s.KeyFlag, "--key")
	pwVar := firstSet(s.PasswordVar, "COSIGN_PASSWORD")
	if s.Key == "" {
		return nil, &SetupError{What: "choosing a signer", Err: errors.New("no key"), Fix: "pass " + flag + " with a cosign key file (make one with stevedore keygen), env://VAR or a KMS URI"}
	}
	if v, ok := strings.CutPrefix(s.Key, "env://"); ok {
		var pem string
		if s.Lookup != nil {
			pem = s.Lookup(v)
		}
		if pem == "" {
			return nil, &SetupError{What: "reading signing key " + s.Key, Err: fmt.Errorf("$%s is empty or unset", v), Fix: fmt.Sprintf("set %s to the PEM private key, or change %s", v, flag)}
		}
		sig, err := LoadSigner([]byte(pem), s.Password)
		if err != nil {
			return nil, &SetupError{What: "loading signing key " + s.Key, Err: errors.Unwrap(err), Fix: passwordFix(pwVar)}
		}
		return sig, nil
	}
	data, err := os.ReadFile(s.Key)
	if err != nil {
		fix := fmt.Sprintf("make %s readable by this user, or change %s", s.Key, flag)
		if errors.Is(err, fs.ErrNotExist) {
			fix = fmt.Sprintf("create it with stevedore keygen, or point %s at an existing cosign key", flag)
		}
		return nil, &SetupError{What: "reading signing key " + s.Key, Err: err, Fix: fix}
	}
	sig, err := LoadSigner(data, s.Password)
	if err != nil {
		return nil, &SetupError{What: "loading signing key " + s.Key, Err: errors.Unwrap(err), Fix: passwordFix(pwVar)}
	}
	sig.ref = s.Key
	return sig, nil
}

func passwordFix(pwVar string) string {
	return fmt.Sprintf("set %s to the password the key was created with (and check the file is a cosign private key, as stevedore keygen or cosign generate-key-pair write)", pwVar)
}

func firstSet(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
