#!/usr/bin/env bash
# Writes go.release.mod and go.release.sum, the module files stevedore's
# release binaries are built with (`go build -modfile=go.release.mod`, by
# .ci/dist.sh and the benchmarks): go.mod and go.sum as they are, plus
# replacements of four modules that only syft's downloaders and directory
# catalogers use by stand-ins under sbom/ with the same API, whose every
# operation fails with a clear error:
#
#   github.com/hashicorp/go-getter  => ./sbom/nogetter   snap and remote-archive sources
#   github.com/hashicorp/hcl/v2     => ./sbom/nohcl      the Terraform lock-file cataloger
#   golang.org/x/tools              => ./sbom/notools    the go.mod (`go list`) cataloger
#   github.com/go-git/go-git/v5     => ./sbom/nogit      remote Go license search, vcpkg
#
# and of two whose package init every command paid for one small use:
#
#   github.com/pkg/profile          => ./sbom/noprofile  syft CLI's --profile (never run)
#   github.com/go-chi/chi/v5        => ./sbom/nochi      rekor's logger: one context key
#
# stevedore catalogs images it already holds with syft's image cataloger set
# and never turns on remote license search, so none of these is reached
# (TestReleaseModfileSBOMs runs the SBOM tests against these files). They
# cut the stripped linux/amd64 binary from 90.4 to 58.6 MiB: go-getter
# alone links the AWS S3 and Google Cloud Storage clients and gRPC's xDS.
# `go install …/cmd/stevedore@VERSION` reads go.mod alone and stays the full
# build. The files are derived, never edited: written afresh each time and
# ignored by git; each is replaced in one rename, so builds running side by
# side never read half a file.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp go.release.XXXXXX)
trap 'rm -f "$tmp" "$tmp.mod" "$tmp.sum"' EXIT
cp go.mod "$tmp.mod"
cp go.sum "$tmp.sum"
go mod edit -modfile="$tmp.mod" \
	-replace=github.com/hashicorp/go-getter=./sbom/nogetter \
	-replace=github.com/hashicorp/hcl/v2=./sbom/nohcl \
	-replace=golang.org/x/tools=./sbom/notools \
	-replace=github.com/go-git/go-git/v5=./sbom/nogit \
	-replace=github.com/pkg/profile=./sbom/noprofile \
	-replace=github.com/go-chi/chi/v5=./sbom/nochi
mv "$tmp.sum" go.release.sum
mv "$tmp.mod" go.release.mod
echo go.release.mod
