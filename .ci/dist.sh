#!/usr/bin/env bash
# Builds stevedore's release binaries and checksums.txt into DIST (default
# dist/release), the same way on a laptop and in the release workflow:
#
#   .ci/dist.sh [VERSION]     VERSION defaults to `stevedore plan`'s version
#
# Static (CGO_ENABLED=0), trimmed paths, stripped (-s -w), no VCS stamp of
# Go's own: the version, the commit and the commit's date are stamped with
# -ldflags -X, so the same commit and Go give the same bytes anywhere.
# PLATFORMS overrides the list (space-separated GOOS/GOARCH).
#
# Each platform gets two binaries: stevedore_OS_ARCH, the default build,
# and stevedore_kms_OS_ARCH, built with -tags stevedore_kms, which adds the
# cloud KMS key providers (awskms://, gcpkms://, azurekms://, hashivault://)
# and their SDKs: a larger binary that starts slower, for those who sign
# with a cloud key. KMS=0 skips the KMS builds.
#
# Both build with go.release.mod (.ci/releasemod.sh), which swaps four
# modules only syft's downloaders and directory catalogers use for
# stand-ins under sbom/; `go install …@VERSION` builds with go.mod and has
# them all (README, Installation). The urfave_cli_no_docs tag leaves out
# the CLI library's man-page and Markdown writers (and their Markdown
# parser), which stevedore never calls: its `docs` command renders its own.
set -euo pipefail
cd "$(dirname "$0")/.."

dist=${DIST:-dist/release}
platforms=${PLATFORMS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64}
commit=$(git rev-parse HEAD)
date=$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ HEAD)
version=${1:-}
if [ -z "$version" ]; then
	version=$(go run ./cmd/stevedore plan --json | jq -r .version)
fi
version=${version#v}

rm -rf "$dist"
mkdir -p "$dist"
bash .ci/releasemod.sh >/dev/null
ldflags="-s -w -X main.buildVersion=$version -X main.buildCommit=$commit -X main.buildDate=$date"
for p in $platforms; do
	os=${p%/*} arch=${p#*/}
	exe=""
	[ "$os" = windows ] && exe=.exe
	variants=("")
	[ "${KMS:-1}" = 0 ] || variants+=(kms)
	for v in "${variants[@]}"; do
		out="$dist/stevedore_${v:+${v}_}${os}_${arch}${exe}"
		echo "dist: $out" >&2
		CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -modfile=go.release.mod -trimpath -buildvcs=false -tags "urfave_cli_no_docs${v:+,stevedore_kms}" \
			-ldflags "$ldflags" -o "$out" ./cmd/stevedore
	done
done
(cd "$dist" && sha256sum stevedore_* >checksums.txt)
echo "$dist"
