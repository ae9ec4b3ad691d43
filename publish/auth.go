package publish

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/cli/cli/config/credentials"
	"github.com/docker/cli/cli/config/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// dockerHubKey is the key docker uses for Docker Hub in config.json.
const dockerHubKey = "https://index.docker.io/v1/"

// Keychain builds the keychain the CLI uses. static holds credentials the
// CLI read from its environment, keyed by registry host ("ghcr.io",
// "docker.io" or "index.docker.io" for Docker Hub, "host:port"); they take
// precedence. Then configDir/config.json is consulted, through the
// credential helper (credHelpers) or store (credsStore) it names, as docker
// does. configDir "" skips the config file. Anything not found is anonymous.
//
// Unlike docker/cli and ggcr's DefaultKeychain, this reads no environment
// variable (DOCKER_CONFIG, DOCKER_AUTH_CONFIG): the CLI decides.
func Keychain(configDir string, static map[string]authn.AuthConfig) authn.Keychain {
	k := &keychain{configDir: configDir, static: map[string]authn.AuthConfig{}}
	for host, cfg := range static {
		k.static[normalizeRegistry(host)] = cfg
	}
	return k
}

type keychain struct {
	configDir string
	static    map[string]authn.AuthConfig
}

func (k *keychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	reg := normalizeRegistry(target.RegistryStr())
	if cfg, ok := k.static[reg]; ok {
		return authn.FromConfig(cfg), nil
	}
	if k.configDir == "" {
		return authn.Anonymous, nil
	}
	// Re-read per resolution: a login in the same process must be seen, and
	// ggcr resolves once per repository, not per request.
	cf, err := config.Load(k.configDir)
	if err != nil {
		return nil, fmt.Errorf("reading docker config in %s: %w", k.configDir, err)
	}
	ac, err := lookupAuth(cf, reg)
	if err != nil {
		return nil, fmt.Errorf("reading credentials for %s from %s: %w", displayRegistry(reg), cf.Filename, err)
	}
	if ac == (types.AuthConfig{}) || (ac.Username == "" && ac.Password == "" && ac.Auth == "" && ac.IdentityToken == "" && ac.RegistryToken == "") {
		return authn.Anonymous, nil
	}
	return authn.FromConfig(authn.AuthConfig{
		Username:      ac.Username,
		Password:      ac.Password,
		Auth:          ac.Auth,
		IdentityToken: ac.IdentityToken,
		RegistryToken: ac.RegistryToken,
	}), nil
}

// normalizeRegistry maps Docker Hub's spellings to ggcr's "index.docker.io".
func normalizeRegistry(host string) string {
	host = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSuffix(host, "/"), "https://"), "http://")
	host = strings.TrimSuffix(host, "/v1")
	switch host {
	case "docker.io", "index.docker.io", "registry-1.docker.io", "":
		return name.DefaultRegistry
	}
	return host
}

func configKey(reg string) string {
	if reg == name.DefaultRegistry {
		return dockerHubKey
	}
	return reg
}

// helperFor mirrors docker's choice: a per-registry credHelper, else the
// global credsStore, else the file itself.
func helperFor(cf *configfile.ConfigFile, key string) string {
	if h, ok := cf.CredentialHelpers[key]; ok && h != "" {
		return h
	}
	return cf.CredentialsStore
}

// lookupAuth reads credentials like configfile.GetAuthConfig, without its
// DOCKER_AUTH_CONFIG environment lookup.
func lookupAuth(cf *configfile.ConfigFile, reg string) (types.AuthConfig, error) {
	key := configKey(reg)
	if h := helperFor(cf, key); h != "" {
		return credentials.NewNativeStore(cf, h).Get(key)
	}
	if ac, ok := cf.AuthConfigs[key]; ok {
		return ac, nil
	}
	for k, ac := range cf.AuthConfigs {
		if credentials.ConvertToHostname(k) == credentials.ConvertToHostname(key) {
			return ac, nil
		}
	}
	return types.AuthConfig{}, nil
}

// Login checks username/secret against registry, then stores them in
// configDir/config.json, through the credential helper or store the file
// names if any. A wrong password therefore fails here, not at the first push.
//
// Without a helper the file holds docker's standard "auth" field, which is
// base64 of "username:secret": not encryption, the same as `docker login`
// writes. The secret never appears in errors.
func Login(ctx context.Context, registry, username, secret, configDir string, opts ...Option) error {
	if configDir == "" {
		return fmt.Errorf("logging in to %s: no docker config directory given", registry)
	}
	reg, err := name.NewRegistry(normalizeRegistry(registry), loginNameOpts(registry, opts)...)
	if err != nil {
		return newKindError(ErrBadReference, nil, "logging in to %q: not a registry host (write HOST or HOST:PORT)", registry)
	}
	if username == "" || secret == "" {
		return fmt.Errorf("logging in to %s: username and password/token are both required", displayRegistry(reg.RegistryStr()))
	}
	o := makeOptions(opts)
	if err := checkLogin(ctx, reg, authn.AuthConfig{Username: username, Password: secret}, o); err != nil {
		return redact(err, secret)
	}
	cf, err := config.Load(configDir)
	if err != nil {
		return fmt.Errorf("logging in to %s: reading docker config in %s: %w", displayRegistry(reg.RegistryStr()), configDir, err)
	}
	key := configKey(reg.RegistryStr())
	ac := types.AuthConfig{Username: username, Password: secret, ServerAddress: key}
	if h := helperFor(cf, key); h != "" {
		if err := credentials.NewNativeStore(cf, h).Store(ac); err != nil {
			return redact(fmt.Errorf("logging in to %s: storing credentials with docker-credential-%s: %w", displayRegistry(reg.RegistryStr()), h, err), secret)
		}
		return nil
	}
	// The file store would print docker's "stored unencrypted" warning to
	// stderr; a library must not, so write the entry ourselves.
	if cf.AuthConfigs == nil {
		cf.AuthConfigs = map[string]types.AuthConfig{}
	}
	cf.AuthConfigs[key] = ac
	if cf.Filename == "" {
		cf.Filename = filepath.Join(configDir, config.ConfigFileName)
	}
	if err := cf.Save(); err != nil {
		return redact(fmt.Errorf("logging in to %s: writing %s: %w", displayRegistry(reg.RegistryStr()), cf.Filename, err), secret)
	}
	return nil
}

func loginNameOpts(registry string, opts []Option) []name.Option {
	o := makeOptions(opts)
	if insecureAllowed(normalizeRegistry(registry), o.insecure) {
		return []name.Option{name.Insecure}
	}
	return nil
}

// checkLogin authenticates a GET /v2/: with a bearer challenge ggcr fetches
// a token with the credentials (refused when wrong); with basic auth the
// GET itself is refused.
func checkLogin(ctx context.Context, reg name.Registry, cfg authn.AuthConfig, o *options) error {
	repo := reg.Repo()
	base := o.httpTransport([]string{})
	if insecureAllowed(reg.RegistryStr(), o.insecure) {
		base = o.httpTransport([]string{reg.RegistryStr()})
	}
	t, err := transport.NewWithContext(ctx, reg, authn.FromConfig(cfg), base, nil)
	if err != nil {
		return classify("logging in to", displayRegistry(reg.RegistryStr()), &repo, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, reg.Scheme()+"://"+reg.RegistryStr()+"/v2/", nil)
	if err != nil {
		return fmt.Errorf("logging in to %s: %w", displayRegistry(reg.RegistryStr()), err)
	}
	resp, err := (&http.Client{Transport: t}).Do(req)
	if err != nil {
		return classify("logging in to", displayRegistry(reg.RegistryStr()), &repo, err)
	}
	defer resp.Body.Close()
	if err := transport.CheckError(resp, http.StatusOK); err != nil {
		return classify("logging in to", displayRegistry(reg.RegistryStr()), &repo, err)
	}
	return nil
}
