#!/usr/bin/env bash
# Step 1 of action.yml: put a stevedore binary at $RUNNER_TEMP/stevedore and
# write its path to the step output "path".
#
# A release binary for the runner's OS and architecture is downloaded and
# checked against the release's checksums.txt. When there is no release to
# download (the action is used from a branch, a commit or a local checkout),
# or the download or the check fails, stevedore is built from the action's
# own source with `go build`.
#
# Environment (set by action.yml):
#   STEVEDORE_VERSION  the input "version": a release tag (v1.2.3), "source"
#                      to always build, or empty for the action's own ref
#   ACTION_REF         github.action_ref (empty for a local `uses: ./`)
#   ACTION_PATH        github.action_path, the action's source tree
#   STEVEDORE_DOWNLOAD_URL  base URL of release downloads (for tests;
#                      default https://github.com/sreevishnu07/stevedore/releases/download)
set -euo pipefail

dest_dir="${RUNNER_TEMP:-$(mktemp -d)}"
base="${STEVEDORE_DOWNLOAD_URL:-https://github.com/sreevishnu07/stevedore/releases/download}"
ref="${STEVEDORE_VERSION:-${ACTION_REF:-}}"

case "${RUNNER_OS:-$(uname -s)}" in
Linux) os=linux ;;
macOS | Darwin) os=darwin ;;
Windows | MINGW* | MSYS*) os=windows ;;
*) os="$(uname -s | tr '[:upper:]' '[:lower:]')" ;;
esac
case "${RUNNER_ARCH:-$(uname -m)}" in
X64 | x86_64 | amd64) arch=amd64 ;;
ARM64 | aarch64 | arm64) arch=arm64 ;;
ARM | armv7l) arch=arm ;;
X86 | i386 | i686) arch=386 ;;
*) arch="$(uname -m)" ;;
esac
exe=""
[ "$os" = windows ] && exe=".exe"
asset="stevedore_${os}_${arch}${exe}"
bin="$dest_dir/stevedore$exe"

sha256() {
	if command -v sha256sum >/dev/null; then
		sha256sum "$1" | cut -d' ' -f1
	else
		shasum -a 256 "$1" | cut -d' ' -f1
	fi
}

# download tries the release asset; any failure returns 1 with the reason on
# stderr, and the caller builds from source instead.
download() {
	local tmp want got
	tmp="$(mktemp -d)"
	echo "downloading $asset of stevedore $ref"
	if ! curl -fsSL --retry 2 --connect-timeout 10 --max-time 300 -o "$tmp/$asset" "$base/$ref/$asset" ||
		! curl -fsSL --retry 2 --connect-timeout 10 --max-time 60 -o "$tmp/checksums.txt" "$base/$ref/checksums.txt"; then
		echo "::warning title=stevedore::no release asset $asset for $ref at $base; building from the action's source instead"
		return 1
	fi
	want="$(awk -v f="$asset" '$2 == f || $2 == "*" f { print $1 }' "$tmp/checksums.txt")"
	got="$(sha256 "$tmp/$asset")"
	if [ -z "$want" ]; then
		echo "::warning title=stevedore::checksums.txt of $ref does not list $asset; building from the action's source instead"
		return 1
	fi
	if [ "$want" != "$got" ]; then
		echo "::error title=stevedore::checksum mismatch for $asset of $ref: checksums.txt says $want, the download is $got"
		return 2
	fi
	echo "$asset: sha256 $got matches checksums.txt"
	install -m 0755 "$tmp/$asset" "$bin"
	rm -rf "$tmp"
}

build() {
	if ! command -v go >/dev/null; then
		echo "::error title=stevedore::no stevedore release to download for '${ref:-this ref}' and no Go toolchain to build one; use a released version of the action (uses: sreevishnu07/stevedore@vX.Y.Z), set the input version, or add actions/setup-go before this step"
		return 1
	fi
	echo "building stevedore from $ACTION_PATH with $(go version)"
	(cd "$ACTION_PATH" && go build -ldflags "-X main.buildVersion=${ref:-source}" -o "$bin" ./cmd/stevedore)
}

status=1
if [[ "$ref" =~ ^v[0-9]+\.[0-9]+\.[0-9]+ ]]; then
	set +e
	download
	status=$?
	set -e
	# A wrong checksum is an attack or a broken release: never fall back
	# silently to something else.
	[ "$status" -eq 2 ] && exit 1
elif [ -n "$ref" ] && [ "$ref" != source ]; then
	echo "'$ref' is not a release tag (vX.Y.Z): building stevedore from the action's source"
fi
[ "$status" -eq 0 ] || build
"$bin" --version
echo "path=$bin" >>"$GITHUB_OUTPUT"
