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
#   fulcio                github.com/sigstore/fulcio v1.8.8          (local Sigstore CA)
#   rekor-server          github.com/sigstore/rekor-tiles/v2 v2.3.0  (local Rekor v2, POSIX tiles)
#   timestamp-server      github.com/sigstore/timestamp-authority v1.2.9 (local RFC 3161 TSA)
#   sshd                  Debian's openssh-server, unpacked (never installed: no
#                         service, no host keys, no user); for the ssh:// git tests
#   policy-tester         github.com/sigstore/policy-controller v0.13.1 (cmd/tester: the
#                         admission controller's image verification without a cluster)
#   kyverno               github.com/kyverno/kyverno v1.19.1 (its CLI: verifyImages rules)
#   qemu-aarch64-static   Debian's qemu-user-static, unpacked (no binfmt handlers
#                         registered); runs the linux/arm64 release binary
#   oras                  oras.land/oras v1.3.6 (reads referrers in OCI layouts: oras discover --oci-layout)
#   @actions/cache        actions/toolkit's cache client 6.3.0, npm-installed (a client of the
#                         GitHub Actions cache service v2 test server; skipped without npm)
# The cosign v2.6.5 CLI is a go.mod tool and builds with `go build tool`.
set -euo pipefail

ORACLES=${ORACLES:-/var/cache/stevedore-oracles}
BUILDKIT_VERSION=v0.29.0
COSIGN3_VERSION=v3.1.3
FULCIO_VERSION=v1.8.8
REKOR_TILES_VERSION=v2.3.0
TSA_VERSION=v1.2.9
POLICY_CONTROLLER_VERSION=v0.13.1
KYVERNO_VERSION=v1.19.1
ORAS_VERSION=v1.3.6
ACTIONS_CACHE_VERSION=6.3.0
mkdir -p "$ORACLES"
log() { printf 'oracles: %s\n' "$*" >&2; }

buildkit() {
	modbuild buildkit "$BUILDKIT_VERSION" github.com/moby/buildkit buildkitd=./cmd/buildkitd buildctl=./cmd/buildctl
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

# goinstall NAME VERSION PACKAGE BINARY: go install PACKAGE@VERSION into
# $ORACLES/NAME-VERSION/BINARY unless it is already there.
goinstall() {
	local out=$ORACLES/$1-$2
	[ -x "$out/$4" ] && return 0
	log "building $4 $2"
	local tmp
	tmp=$(mktemp -d)
	(cd /tmp && GOBIN="$tmp" GOFLAGS=-mod=mod CGO_ENABLED=0 go install -trimpath "$3@$2")
	mkdir -p "$out"
	mv "$tmp/$(basename "$3")" "$out/$4"
	rm -rf "$tmp"
}

# modbuild NAME VERSION MODULE BINARY=PACKAGE...: build each PACKAGE of
# MODULE@VERSION inside a writable copy of the module, into
# $ORACLES/NAME-VERSION/BINARY, unless they are all there. For modules whose
# go.mod has replace directives, which `go install MODULE@VERSION` refuses.
modbuild() {
	local out=$ORACLES/$1-$2 module=$3 version=$2 pair missing=
	shift 3
	for pair in "$@"; do [ -x "$out/${pair%%=*}" ] || missing=1; done
	[ -n "$missing" ] || return 0
	log "building ${*%%=*} $version"
	local dir tmp
	dir=$(cd /tmp && GOFLAGS=-mod=mod go mod download -json "$module@$version" | jq -r .Dir)
	tmp=$(mktemp -d)
	cp -r "$dir" "$tmp/src"
	chmod -R u+w "$tmp/src"
	for pair in "$@"; do
		(cd "$tmp/src" && CGO_ENABLED=0 nice go build -trimpath -o "$tmp/bin/${pair%%=*}" "${pair#*=}")
	done
	mkdir -p "$out"
	for pair in "$@"; do mv "$tmp/bin/${pair%%=*}" "$out/"; done
	rm -rf "$tmp"
}

# Admission-time verifiers that users run in their clusters, run offline:
# sigstore policy-controller's tester and the Kyverno CLI.
policytester() {
	modbuild policy-controller "$POLICY_CONTROLLER_VERSION" github.com/sigstore/policy-controller policy-tester=./cmd/tester
}
kyverno() {
	modbuild kyverno "$KYVERNO_VERSION" github.com/kyverno/kyverno kyverno=./cmd/cli/kubectl-kyverno
}

# ORAS, the reference for how an OCI layout keeps referrers (the
# Sigstore bundles sign writes into layouts).
oras() {
	goinstall oras "$ORAS_VERSION" oras.land/oras/cmd/oras oras
}

# @actions/cache, the library actions/cache is made of, talks to the cache
# service API v2 test server (internal/ghacachetest) as a job would.
actionscache() {
	local out=$ORACLES/actions-cache-$ACTIONS_CACHE_VERSION
	[ -f "$out/node_modules/@actions/cache/lib/cache.js" ] && return 0
	if ! command -v npm >/dev/null; then
		log "no npm: skipping @actions/cache (its test will skip)"
		return 0
	fi
	log "installing @actions/cache $ACTIONS_CACHE_VERSION"
	local tmp
	tmp=$(mktemp -d)
	if ! (cd "$tmp" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent "@actions/cache@$ACTIONS_CACHE_VERSION" >/dev/null); then
		log "npm install @actions/cache failed: its test will skip"
		rm -rf "$tmp"
		return 0
	fi
	rm -rf "$out"
	mv "$tmp" "$out"
	chmod 755 "$out"
}

# The local Sigstore for keyless tests: Fulcio, Rekor v2 and a TSA.
sigstore() {
	goinstall fulcio "$FULCIO_VERSION" github.com/sigstore/fulcio fulcio
	goinstall rekor-tiles "$REKOR_TILES_VERSION" github.com/sigstore/rekor-tiles/v2/cmd/rekor-server/posix rekor-server
	goinstall timestamp-authority "$TSA_VERSION" github.com/sigstore/timestamp-authority/cmd/timestamp-server timestamp-server
}

# sshd serves git over ssh:// on loopback for the builder's tests. The
# package is unpacked with dpkg -x rather than installed, so no ssh service
# is enabled or started and /etc is left alone; libwrap0, the one library
# sshd needs beyond openssh-client's, is unpacked next to it and the sshd
# script finds it with LD_LIBRARY_PATH.
sshd() {
	local out=$ORACLES/openssh-server
	[ -x "$out/sshd" ] && return 0
	log "unpacking Debian's openssh-server"
	local tmp
	tmp=$(mktemp -d)
	chmod 755 "$tmp"
	(cd "$tmp" && apt-get download -qq openssh-server libwrap0 2>/dev/null ||
		{ apt-get update -qq && apt-get download -qq openssh-server libwrap0; })
	for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$tmp/root"; done
	local lib=$out/root/usr/lib/$(uname -m)-linux-gnu
	if LD_LIBRARY_PATH="$tmp/root/usr/lib/$(uname -m)-linux-gnu" ldd "$tmp/root/usr/sbin/sshd" | grep 'not found'; then
		log "sshd needs libraries that are not installed (above)"
		return 1
	fi
	rm -rf "$out"
	mkdir -p "$out"
	mv "$tmp/root" "$out/root"
	dpkg-deb -f "$tmp"/openssh-server_*.deb Version >"$out/VERSION"
	# sshd re-executes itself by the absolute path it was started with.
	printf '#!/bin/sh\nLD_LIBRARY_PATH=%s exec %s "$@"\n' "$lib" "$out/root/usr/sbin/sshd" >"$out/sshd.tmp"
	chmod 755 "$out/sshd.tmp"
	mv "$out/sshd.tmp" "$out/sshd"
	rm -rf "$tmp"
}

# qemu runs the linux/arm64 release binary for .ci/arm64.sh. Unpacked, not
# installed: installing qemu-user-static registers binfmt_misc handlers
# where the kernel has them, after which every arm64 RUN step of every test
# would run emulated instead of being refused.
qemu() {
	local out=$ORACLES/qemu-user-static
	[ -x "$out/qemu-aarch64-static" ] && return 0
	log "unpacking Debian's qemu-user-static"
	local tmp
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -qq qemu-user-static 2>/dev/null ||
		{ apt-get update -qq && apt-get download -qq qemu-user-static; })
	dpkg -x "$tmp"/qemu-user-static_*.deb "$tmp/root"
	mkdir -p "$out"
	mv "$tmp/root/usr/bin/qemu-aarch64-static" "$out/qemu-aarch64-static.tmp"
	mv "$out/qemu-aarch64-static.tmp" "$out/qemu-aarch64-static"
	rm -rf "$tmp"
}

command -v jq >/dev/null || { export DEBIAN_FRONTEND=noninteractive; apt-get update -qq; apt-get install -y -qq --no-install-recommends jq >/dev/null; }
want=${*:-buildkit cosign3 sigstore sshd qemu policytester kyverno oras actionscache}
for t in $want; do "$t"; done
echo "$ORACLES"
