#!/usr/bin/env bash
# Writes go.release.mod and go.release.sum, the module files stevedore's
# release binaries are built with (`go build -modfile=go.release.mod`):
# go.mod and go.sum as they are, plus one replacement,
#
#   github.com/hashicorp/go-getter => ./sbom/nogetter
#
# go-getter is syft's downloader for sources stevedore never creates (snap
# packages fetched by name, remote archives). It links the AWS S3 and Google
# Cloud Storage clients and gRPC's xDS, about 26 MiB of a 90 MiB binary and
# much of its start-up; sbom/nogetter has the API syft compiles against and
# refuses every download. `go install …/cmd/stevedore@VERSION` reads go.mod
# alone and stays the full build. The files are derived, never edited: this
# script writes them afresh from go.mod and go.sum each time (.gitignore).
set -euo pipefail
cd "$(dirname "$0")/.."
cp go.mod go.release.mod
cp go.sum go.release.sum
go mod edit -modfile=go.release.mod \
	-replace=github.com/hashicorp/go-getter=./sbom/nogetter \
	-replace=github.com/hashicorp/hcl/v2=./sbom/nohcl \
	-replace=golang.org/x/tools=./sbom/notools \
	-replace=github.com/go-git/go-git/v5=./sbom/nogit
echo go.release.mod
