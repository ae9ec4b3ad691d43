package sign

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// secretNameParts: a build-arg whose name contains one of these (any case)
// is taken for a secret whatever its value. Deliberately broad: a
// redacted harmless value costs a policy author one look at
// redactedBuildArgs, a leaked token costs a rotation.
var secretNameParts = []string{"TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASSPHRASE", "KEY", "CREDENTIAL", "PRIVATE", "AUTH"}

// secretValues are the shapes of credentials commonly passed as build-args
// by mistake, whatever the argument is called.
var secretValues = []*regexp.Regexp{
	regexp.MustCompile(`\b(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}`),     // GitHub tokens
	regexp.MustCompile(`\bgithub_pat_[A-Za-z0-9_]{20,}`),               // GitHub fine-grained tokens
	regexp.MustCompile(`\bglpat-[A-Za-z0-9_-]{20,}`),                   // GitLab personal tokens
	regexp.MustCompile(`\b(AKIA|ASIA)[A-Z0-9]{16}\b`),                  // AWS access key ids
	regexp.MustCompile(`\bAIza[A-Za-z0-9_-]{35}`),                      // Google API keys
	regexp.MustCompile(`\bxox[abprs]-[A-Za-z0-9-]{10,}`),               // Slack tokens
	regexp.MustCompile(`\bnpm_[A-Za-z0-9]{36}`),                        // npm tokens
	regexp.MustCompile(`\b(sk|rk)_(live|test)_[A-Za-z0-9]{16,}`),       // Stripe keys
	regexp.MustCompile(`\beyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.`),     // JWTs (OIDC tokens)
	regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`),           // PEM keys
	regexp.MustCompile(`-----BEGIN (ENCRYPTED )?SIGSTORE PRIVATE KEY`), // cosign keys
}

// SecretBuildArg reports whether a build-arg must not be recorded with its
// value: its name contains TOKEN, SECRET, PASSWORD, PASSWD, PASSPHRASE,
// KEY, CREDENTIAL, PRIVATE or AUTH (any case), or its value looks like a
// credential (GitHub, GitLab, AWS, Google, Slack, npm or Stripe tokens, a
// JWT, a PEM private key, or a URL with a password in it).
func SecretBuildArg(name, value string) bool {
	up := strings.ToUpper(name)
	for _, p := range secretNameParts {
		if strings.Contains(up, p) {
			return true
		}
	}
	for _, re := range secretValues {
		if re.MatchString(value) {
			return true
		}
	}
	return hasURLPassword(value)
}

// hasURLPassword: proxy and registry URLs carry credentials as
// scheme://user:password@host.
func hasURLPassword(v string) bool {
	for _, f := range strings.Fields(v) {
		if !strings.Contains(f, "://") {
			continue
		}
		if u, err := url.Parse(f); err == nil && u.User != nil {
			if _, ok := u.User.Password(); ok {
				return true
			}
		}
	}
	return false
}

// RedactBuildArgs returns the build-args with every secret-looking value
// (SecretBuildArg) replaced by Redacted, and the sorted names replaced.
func RedactBuildArgs(args map[string]string) (map[string]string, []string) {
	out := make(map[string]string, len(args))
	var redacted []string
	for k, v := range args {
		if SecretBuildArg(k, v) {
			out[k] = Redacted
			redacted = append(redacted, k)
			continue
		}
		out[k] = v
	}
	slices.Sort(redacted)
	return out, redacted
}
