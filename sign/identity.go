package sign

import "regexp"

// anyIdentity are identities no release policy means to accept together:
// an empty one, an email, foreign URIs.
var anyIdentity = []string{"", "x", "mallory@example.com", "https://evil.example/x/.github/workflows/a.yml@refs/heads/main", "https://gitlab.com/other"}

// MatchesAnything reports whether a certificate identity or issuer regexp
// (cosign's --certificate-identity-regexp) accepts every identity, as `.*`,
// `^.*$` or `.*|x` do: such a policy checks only that the signature is
// keyless, so callers warn. An invalid regexp reports false (verification
// rejects it with its own error).
func MatchesAnything(re string) bool {
	r, err := regexp.Compile(re)
	if err != nil {
		return false
	}
	for _, s := range anyIdentity {
		if !r.MatchString(s) {
			return false
		}
	}
	return true
}
