#!/usr/bin/env bash
# Builds the ecosystem's own tools that the tests use as oracles, once, from the
# Go module proxy, and keeps them between runs under $ORACLES (default
# /var/cache/stevedore-oracles). Idempotent: a warm machine builds nothing.
#
#   .ci/oracles.sh            build what is missing, print the bin directory
#
# Tools (each in $ORACLES/<name>-<version>/):
#   buildkitd, buildctl   github.com/moby/buildkit v0.29.0 (the Dockerfile oracle)
#   cosign (v3)           github.com/sigstore/cosign/v3 v3.1.3
# The cosign v2.6.5 CLI is a go.mod tool and builds with `go build tool`.
set -euo pipefail

ORACLES=${ORACLES:-/var/cache/stevedore-oracles}
BUILDKIT_VERSION=v0.29.0
COSIGN3_VERSION=v3.1.3
mkdir -p "$ORACLES"
log() { printf 'oracles: %s\n' "$*" >&2; }

buildkit() {
	local out=$ORACLES/buildkit-$BUILDKIT_VERSION
	[ -x "$out/buildkitd" ] && [ -x "$out/buildctl" ] && return 0
	log "building buildkitd and buildctl $BUILDKIT_VERSION"
	local dir tmp
	dir=$(cd /tmp && GOFLAGS=-mod=mod go mod download -json "github.com/moby/buildkit@$BUILDKIT_VERSION" | jq -r .Dir)
	tmp=$(mktemp -d)
	cp -r "$dir" "$tmp/src"
	chmod -R u+w "$tmp/src"
	(cd "$tmp/src" && CGO_ENABLED=0 go build -trimpath -o "$tmp/bin/" ./cmd/buildkitd ./cmd/buildctl)
	mkdir -p "$out"
	mv "$tmp/bin/buildkitd" "$tmp/bin/buildctl" "$out/"
	rm -rf "$tmp"
}

cosign3() {
	local out=$ORACLES/cosign-$COSIGN3_VERSION
	[ -x "$out/cosign" ] && return 0
	log "building cosign $COSIGN3_VERSION"
	local tmp
	tmp=$(mktemp -d)
	(cd /tmp && GOBIN="$tmp" GOFLAGS=-mod=mod go install "github.com/sigstore/cosign/v3/cmd/cosign@$COSIGN3_VERSION")
	mkdir -p "$out"
	mv "$tmp/cosign" "$out/cosign"
	rm -rf "$tmp"
}

command -v jq >/dev/null || { export DEBIAN_FRONTEND=noninteractive; apt-get update -qq; apt-get install -y -qq --no-install-recommends jq >/dev/null; }
want=${*:-buildkit cosign3}
for t in $want; do "$t"; done
echo "$ORACLES"
