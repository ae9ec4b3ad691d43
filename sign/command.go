package sign

import (
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/sreevishnu07/stevedore/internal/shell"
)

// command renders the cosign command equivalent to a Verify or
// VerifyAttestation call, so users can re-check with cosign itself.
func (o *options) command(verb, predicateType string, subject name.Digest) string {
	args := []string{"cosign", verb}
	if predicateType != "" {
		// cosign's short name where it has one, so the commands read alike
		// (--type spdxjson next to --type slsaprovenance1); cosign maps it
		// back to the same URI.
		if short, ok := shortNames[predicateType]; ok {
			predicateType = short
		}
		args = append(args, "--type", predicateType)
	}
	if o.key != nil {
		ref := o.key.ref
		if ref == "" {
			ref = "cosign.pub"
		}
		args = append(args, "--key", ref)
	}
	for _, f := range []struct{ flag, val string }{
		{"--certificate-identity", o.certIdentity},
		{"--certificate-identity-regexp", o.certIdentityRE},
		{"--certificate-oidc-issuer", o.issuer},
		{"--certificate-oidc-issuer-regexp", o.issuerRE},
		{"--certificate-github-workflow-trigger", o.github.Trigger},
		{"--certificate-github-workflow-sha", o.github.SHA},
		{"--certificate-github-workflow-name", o.github.Name},
		{"--certificate-github-workflow-repository", o.github.Repository},
		{"--certificate-github-workflow-ref", o.github.Ref},
		{"--trusted-root", o.trustedRoot},
	} {
		if f.val != "" {
			args = append(args, f.flag, f.val)
		}
	}
	if o.ignoreTlog {
		args = append(args, "--insecure-ignore-tlog")
	} else if o.rekorURL != "" && o.rekorURL != DefaultRekorURL {
		args = append(args, "--rekor-url", o.rekorURL)
	}
	if o.ignoreSCT {
		args = append(args, "--insecure-ignore-sct")
	}
	if verb == "verify" {
		keys := make([]string, 0, len(o.annotations))
		for k := range o.annotations {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			args = append(args, "-a", k+"="+o.annotations[k])
		}
	}
	if subject.Context().Registry.Scheme() == "http" {
		args = append(args, "--allow-insecure-registry")
	}
	args = append(args, subject.String())
	for i, a := range args {
		args[i] = shell.Quote(a)
	}
	return strings.Join(args, " ")
}
