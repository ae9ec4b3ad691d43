#!/usr/bin/env bash
# Step 1 of action.yml: put a stevedore binary at $RUNNER_TEMP/stevedore and
# write its path to the step output "path".
#
# For a release ref (v1.2.3, or a floating v1 / v1.2) the binary for the
# runner's OS and architecture is downloaded and checked against the
# checksums pinned in the action's own checksums/vX.Y.Z.txt; the release's
# checksums.txt must equal them. Any mismatch or failed download fails the
# step: a release ref never falls back to building. The binary is kept in
# the runner's tool cache. Other refs (a branch, a commit, a local `uses: ./`)
# and version: source build from the action's own source with `go build`.
# INSTALL_ONLY=true also puts the binary on PATH for later `run:` steps.
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

# pinned prints the checksums the action's own files pin for $ref: the
# release workflow commits checksums/vX.Y.Z.txt before it moves the
# floating tag, so @vX and @vX.Y.Z know the sums before anything is
# downloaded. A floating ref (v1, v1.2) resolves to the highest version
# pinned for it.
pinned() {
	local dir="$ACTION_PATH/checksums" f
	if [[ "$ref" =~ ^v[0-9]+\.[0-9]+\.[0-9]+ ]]; then
		f="$dir/$ref.txt"
	else
		f="$(ls "$dir/$ref".*.txt 2>/dev/null | sed 's|.*/||; s|\.txt$||' | sort -V | tail -n1)"
		[ -n "$f" ] && f="$dir/$f.txt"
	fi
	[ -n "$f" ] && [ -f "$f" ] && echo "$f"
}

# download fetches the asset and checksums.txt and checks both against the
# pinned sums. Any failure is fatal: a release ref never falls back to
# building something else.
download() {
	local tmp want got pin="$1"
	want="$(awk -v f="$asset" '$2 == f || $2 == "*" f { print $1 }' "$pin")"
	if [ -z "$want" ]; then
		echo "::error title=stevedore::$pin pins no checksum for $asset; this platform has no release binary"
		return 1
	fi
	cache="${RUNNER_TOOL_CACHE:-$dest_dir}/stevedore/${ref#v}/$arch"
	if [ -f "$cache/stevedore$exe" ] && [ "$(sha256 "$cache/stevedore$exe")" = "$want" ]; then
		echo "stevedore $ref from the tool cache: sha256 $want"
		bin="$cache/stevedore$exe"
		return 0
	fi
	tmp="$(mktemp -d)"
	echo "downloading $asset of stevedore $ref"
	if ! curl -fsSL --retry 2 --connect-timeout 10 --max-time 300 -o "$tmp/$asset" "$base/$ref/$asset" ||
		! curl -fsSL --retry 2 --connect-timeout 10 --max-time 60 -o "$tmp/checksums.txt" "$base/$ref/checksums.txt"; then
		echo "::error title=stevedore::downloading $asset of $ref from $base failed; the action does not build from source for a release ref (set the input version: source to do that)"
		return 1
	fi
	if ! cmp -s "$tmp/checksums.txt" "$pin"; then
		echo "::error title=stevedore::checksums.txt of $ref differs from the one this action pins ($pin): the release was changed after it was made"
		return 1
	fi
	got="$(sha256 "$tmp/$asset")"
	if [ "$want" != "$got" ]; then
		echo "::error title=stevedore::checksum mismatch for $asset of $ref: the action pins $want, the download is $got"
		return 1
	fi
	echo "$asset: sha256 $got matches the checksum pinned in the action"
	mkdir -p "$cache"
	install -m 0755 "$tmp/$asset" "$cache/stevedore$exe"
	bin="$cache/stevedore$exe"
	rm -rf "$tmp"
}

build() {
	if ! command -v go >/dev/null; then
		echo "::error title=stevedore::no stevedore release to download for '${ref:-this ref}' and no Go toolchain to build one; use a released version of the action (uses: sreevishnu07/stevedore@vX.Y.Z), set the input version, or add actions/setup-go before this step"
		return 1
	fi
	echo "building stevedore from $ACTION_PATH with $(go version)"
	(cd "$ACTION_PATH" && go build -trimpath -ldflags "-X main.buildVersion=${ref:-source}" -o "$bin" ./cmd/stevedore)
}

if [[ "$ref" =~ ^v[0-9]+(\.[0-9]+){0,2}($|[-+]) ]]; then
	pin="$(pinned)" || {
		echo "::error title=stevedore::the action at $ref pins no checksums for a release $ref (no $ACTION_PATH/checksums/$ref*.txt); use a released version (uses: sreevishnu07/stevedore@vX.Y.Z) or set the input version: source"
		exit 1
	}
	ref="$(basename "$pin" .txt)"
	download "$pin" || exit 1
else
	[ -n "$ref" ] && [ "$ref" != source ] && echo "'$ref' is not a release tag (vX.Y.Z): building stevedore from the action's source"
	build
fi
"$bin" --version
[ "${INSTALL_ONLY:-false}" = true ] && echo "$(dirname "$bin")" >>"$GITHUB_PATH"
echo "path=$bin" >>"$GITHUB_OUTPUT"
