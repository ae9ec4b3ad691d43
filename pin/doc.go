// Package pin owns image references in deploy files: it finds them
// (Kubernetes manifests, Kustomize, Helm values, Compose, Dockerfiles, GitHub
// Actions workflows) with their exact byte spans, resolves tags to digests
// (from a registry or from the release ledger), rewrites each reference to
// repo:tag@sha256:… without touching any other byte, checks that a tree is
// pinned, and moves pins whose tag has moved, but only to digests a Verifier
// accepts.
//
// The rewrite works on the raw bytes: parsers (yaml.v3 for YAML, BuildKit's
// for Dockerfiles) only locate the references, so comments, key order,
// quoting, indentation and line endings survive. Every file is written through
// a temporary file and a rename, and nothing is written until every reference
// has been resolved, so a failed run leaves the tree as it was.
package pin
