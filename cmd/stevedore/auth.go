package main

import (
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/sreevishnu07/stevedore/publish"
)

// Credentials for CI come from the environment: GitHub's token for ghcr.io,
// and one documented triple for any other registry. They take precedence
// over docker's config.json.
const (
	envRegistry = "STEVEDORE_REGISTRY"
	envUsername = "STEVEDORE_USERNAME"
	envPassword = "STEVEDORE_PASSWORD"
)

func keychain(getenv env) authn.Keychain {
	static := map[string]authn.AuthConfig{}
	if tok := getenv("GITHUB_TOKEN"); tok != "" {
		user := getenv("GITHUB_ACTOR")
		if user == "" {
			// ghcr.io checks the token, not the user name, for GITHUB_TOKEN.
			user = "x-access-token"
		}
		static["ghcr.io"] = authn.AuthConfig{Username: user, Password: tok}
	}
	if reg, user, pass := getenv(envRegistry), getenv(envUsername), getenv(envPassword); reg != "" && pass != "" {
		static[reg] = authn.AuthConfig{Username: user, Password: pass}
	}
	return publish.Keychain(dockerConfigDir(getenv), static)
}

// dockerConfigDir is where docker keeps config.json: $DOCKER_CONFIG, else
// ~/.docker.
func dockerConfigDir(getenv env) string {
	if d := getenv("DOCKER_CONFIG"); d != "" {
		return d
	}
	home := getenv("HOME")
	if home == "" {
		home = "/"
	}
	return filepath.Join(home, ".docker")
}
