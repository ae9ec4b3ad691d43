#!/usr/bin/env bash
# Step 1 of action.yml: put a verified stevedore binary in the runner's tool
# cache and write its path to the step output "path".
#
# For a release ref the binary for the runner's OS and architecture is
# downloaded and verified one of two ways (docs/action-verification.md):
#
#  1. pinned sums: the action's own checksums/vX.Y.Z.txt (a floating v1 or
#     v1.2 resolves to the highest version pinned for it). The release's
#     checksums.txt must equal the pin and the binary must match it.
#  2. signature: an exact vX.Y.Z with no pins (@vX.Y.Z itself, or @<sha> with
#     the input version). checksums.txt and checksums.txt.sigstore.json are
#     downloaded and `cosign verify-blob` must accept the bundle as signed by
#     this repository's release workflow, run by a push of that exact tag.
#     cosign is the cosign release binary, checked against the action's
#     committed checksums/cosign-vA.B.C.txt. Then the binary must match the
#     verified checksums.txt.
#
# Any mismatch or failed download fails the step naming what did not match:
# a release ref never falls back to building. Other refs (a branch, a commit
# without the input version, a local `uses: ./`) and version: source build
# from the action's own source with `go build`. INSTALL_ONLY=true also puts
# the binary on PATH for later `run:` steps.
#
# Environment (set by action.yml):
#   STEVEDORE_VERSION  the input "version": a release (v1.2.3, v1), "source"
#                      to always build, or empty for the action's own ref
#   ACTION_REF         github.action_ref (empty for a local `uses: ./`)
#   ACTION_PATH        github.action_path, the action's source tree
#   INPUT_KMS          the input "kms": true, false or auto (the default)
#   INPUT_KEY          the input "key"; only its scheme is looked at (auto
#                      takes the stevedore_kms_* build for a cloud KMS URI)
#
# Test-only environment: these exist so the tests can serve a release, cosign
# and a Sigstore from this machine. Nothing in a real workflow sets them.
#   STEVEDORE_TEST_DOWNLOAD_URL  base URL of stevedore's release downloads
#                      (default https://github.com/sreevishnu07/stevedore/releases/download;
#                      STEVEDORE_DOWNLOAD_URL is its older name)
#   STEVEDORE_TEST_COSIGN_URL    base URL of cosign's release downloads
#                      (default https://github.com/sigstore/cosign/releases/download)
#   STEVEDORE_TEST_TRUSTED_ROOT  a Sigstore trusted_root.json for
#                      `cosign verify-blob --trusted-root` (default: cosign's
#                      TUF root of the public Sigstore). The test Sigstore's
#                      Fulcio has no certificate transparency log, so with it
#                      the certificate's SCT is not required
#                      (--insecure-ignore-sct); the public Sigstore's always is.
#   STEVEDORE_TEST_OIDC_ISSUER   the OIDC issuer the certificate must name
#                      (default https://token.actions.githubusercontent.com)
set -euo pipefail

repo=sreevishnu07/stevedore
dest_dir="${RUNNER_TEMP:-$(mktemp -d)}"
tool_cache="${RUNNER_TOOL_CACHE:-$dest_dir}"
base="${STEVEDORE_TEST_DOWNLOAD_URL:-${STEVEDORE_DOWNLOAD_URL:-https://github.com/$repo/releases/download}}"
cosign_base="${STEVEDORE_TEST_COSIGN_URL:-https://github.com/sigstore/cosign/releases/download}"
issuer="${STEVEDORE_TEST_OIDC_ISSUER:-https://token.actions.githubusercontent.com}"
ref="${STEVEDORE_VERSION:-${ACTION_REF:-}}"

fail() {
	echo "::error title=stevedore::$*"
	exit 1
}

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

# The stevedore_kms_* build carries the cloud KMS key providers; the default
# build leaves their SDKs out (smaller, faster to start). auto picks it when
# the key input is a KMS URI; a KMS key named only in stevedore.yaml needs
# kms: true.
kms_scheme=""
[[ "${INPUT_KEY:-}" =~ ^(awskms|gcpkms|azurekms|hashivault):// ]] && kms_scheme="${BASH_REMATCH[1]}"
case "$(echo "${INPUT_KMS:-auto}" | tr '[:upper:]' '[:lower:]')" in
true | yes | 1 | on) kms=true ;;
false | no | 0 | off) kms=false ;;
auto | "")
	kms=false
	if [ -n "$kms_scheme" ]; then
		kms=true
		echo "the key is a $kms_scheme:// URI: using the stevedore_kms build, which has the cloud KMS providers (set the input kms: false to use the default build)"
	fi
	;;
*)
	echo "::error title=stevedore::input kms is '${INPUT_KMS}': want true, false or auto"
	exit 2
	;;
esac
tool=stevedore asset="stevedore_${os}_${arch}${exe}"
[ "$kms" = false ] || tool=stevedore-kms asset="stevedore_kms_${os}_${arch}${exe}"
bin="$dest_dir/stevedore$exe"

sha256() {
	if command -v sha256sum >/dev/null; then
		sha256sum "$1" | cut -d' ' -f1
	else
		shasum -a 256 "$1" | cut -d' ' -f1
	fi
}

# sumof FILE NAME prints the sha256 FILE (sha256sum's format) gives NAME.
sumof() {
	awk -v f="$2" '$2 == f || $2 == "*" f { print $1; exit }' "$1"
}

# fetch URL FILE downloads or fails.
fetch() {
	curl -fsSL --retry 2 --connect-timeout 10 --max-time 300 -o "$2" "$1"
}

# pinned prints the checksums the action's own files pin for $ref: the
# release workflow commits checksums/vX.Y.Z.txt after the release and moves
# the floating tags to that commit, so @vX and @vX.Y know the sums before
# anything is downloaded. A floating ref (v1, v1.2) resolves to the highest
# version pinned for it.
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

# install_asset WANT WHERE puts the release asset whose sha256 is WANT (from
# WHERE, for messages) into the tool cache: a cached copy is used only if it
# still matches, a download only if it matches.
install_asset() {
	local want="$1" where="$2" cache tmp got
	cache="$tool_cache/$tool/${ref#v}/$arch"
	if [ -f "$cache/stevedore$exe" ] && [ "$(sha256 "$cache/stevedore$exe")" = "$want" ]; then
		echo "stevedore $ref from the tool cache: sha256 $want"
		bin="$cache/stevedore$exe"
		return 0
	fi
	tmp="$(mktemp -d)"
	echo "downloading $asset of stevedore $ref"
	fetch "$base/$ref/$asset" "$tmp/$asset" ||
		fail "downloading $asset of $ref from $base failed; the action does not build from source for a release (set the input version: source to do that)"
	got="$(sha256 "$tmp/$asset")"
	[ "$want" = "$got" ] ||
		fail "checksum mismatch for $asset of $ref: $where has $want, the download is $got; the release asset was replaced, nothing was installed"
	echo "$asset: sha256 $got matches $where"
	mkdir -p "$cache"
	install -m 0755 "$tmp/$asset" "$cache/stevedore$exe"
	bin="$cache/stevedore$exe"
	rm -rf "$tmp"
}

# install_pinned: path 1, the release checked against the action's own pins.
install_pinned() {
	local pin="$1" want tmp
	want="$(sumof "$pin" "$asset")"
	[ -n "$want" ] || fail "$pin pins no checksum for $asset; this platform has no release binary"
	# The tool cache needs no download: the pin alone says what is good.
	if [ ! -f "$tool_cache/$tool/${ref#v}/$arch/stevedore$exe" ]; then
		tmp="$(mktemp -d)"
		fetch "$base/$ref/checksums.txt" "$tmp/checksums.txt" ||
			fail "downloading checksums.txt of $ref from $base failed; the action does not build from source for a release (set the input version: source to do that)"
		cmp -s "$tmp/checksums.txt" "$pin" ||
			fail "checksums.txt of $ref differs from the one this action pins ($pin): the release was changed after it was made"
		rm -rf "$tmp"
	fi
	install_asset "$want" "the checksum pinned in the action ($pin)"
}

# get_cosign sets $cosign to cosign's release binary for the runner, checked
# against the highest checksums/cosign-vA.B.C.txt the action commits. The
# action cannot use stevedore to verify stevedore; cosign's release exists
# before stevedore's tag, so the tag can carry its sums.
get_cosign() {
	local pin ver casset want cache tmp got
	pin="$(ls "$ACTION_PATH"/checksums/cosign-v*.txt 2>/dev/null | sort -V | tail -n1 || true)"
	[ -n "$pin" ] || fail "the action has no checksums/cosign-vA.B.C.txt to check cosign with, so it cannot verify the signature of $ref"
	ver="$(basename "$pin" .txt)"
	ver="${ver#cosign-}"
	casset="cosign-${os}-${arch}${exe}"
	want="$(sumof "$pin" "$casset")"
	[ -n "$want" ] || fail "$pin pins no checksum for $casset, so stevedore $ref cannot be verified on this platform; use the floating tag (uses: $repo@${ref%%.*}), whose checksums/ pins the release"
	cache="$tool_cache/cosign/${ver#v}/$arch"
	cosign="$cache/cosign$exe"
	if [ -f "$cosign" ] && [ "$(sha256 "$cosign")" = "$want" ]; then
		echo "cosign $ver from the tool cache: sha256 $want"
		return 0
	fi
	tmp="$(mktemp -d)"
	echo "downloading $casset of cosign $ver to verify the signature of stevedore $ref"
	fetch "$cosign_base/$ver/$casset" "$tmp/$casset" || fail "downloading $casset of cosign $ver from $cosign_base failed"
	got="$(sha256 "$tmp/$casset")"
	[ "$want" = "$got" ] || fail "checksum mismatch for $casset of cosign $ver: the action pins $want ($pin), the download is $got"
	echo "$casset: sha256 $got matches the checksum pinned in the action ($pin)"
	mkdir -p "$cache"
	install -m 0755 "$tmp/$casset" "$cosign"
	rm -rf "$tmp"
}

# install_signed: path 2, checksums.txt verified by its keyless signature
# against this repository's release workflow identity for the tag $ref.
install_signed() {
	local tmp want identity out
	local -a args
	tmp="$(mktemp -d)"
	if ! fetch "$base/$ref/checksums.txt" "$tmp/checksums.txt" || ! fetch "$base/$ref/checksums.txt.sigstore.json" "$tmp/checksums.txt.sigstore.json"; then
		fail "downloading checksums.txt and checksums.txt.sigstore.json of $ref from $base failed; the action does not build from source for a release (set the input version: source to do that)"
	fi
	get_cosign
	identity="https://github.com/$repo/.github/workflows/release.yml@refs/tags/$ref"
	args=(verify-blob --bundle "$tmp/checksums.txt.sigstore.json"
		--certificate-identity "$identity"
		--certificate-oidc-issuer "$issuer"
		--certificate-github-workflow-repository "$repo"
		--certificate-github-workflow-ref "refs/tags/$ref"
		--certificate-github-workflow-trigger push)
	local wants="workflow $identity, issuer $issuer, repository $repo, ref refs/tags/$ref, trigger push"
	# Pinned by commit (@<sha> with the input version): the release must
	# have been built from that very commit.
	if [[ -n "${STEVEDORE_VERSION:-}" && "${ACTION_REF:-}" =~ ^[0-9a-f]{40}$ ]]; then
		args+=(--certificate-github-workflow-sha "$ACTION_REF")
		wants+=", commit $ACTION_REF (the commit the action is pinned at)"
	fi
	[ -z "${STEVEDORE_TEST_TRUSTED_ROOT:-}" ] || args+=(--trusted-root "$STEVEDORE_TEST_TRUSTED_ROOT" --insecure-ignore-sct)
	if ! out="$("$cosign" "${args[@]}" "$tmp/checksums.txt" 2>&1)"; then
		printf '%s\n' "$out" | sed 's/^/  cosign: /'
		fail "the signature of checksums.txt of stevedore $ref does not verify as this repository's release workflow (wanted: $wants): $(printf '%s\n' "$out" | grep -v '^$' | tail -n1). The release was replaced or not made by the release workflow; nothing was installed"
	fi
	echo "checksums.txt of $ref: signature verified ($wants)"
	want="$(sumof "$tmp/checksums.txt" "$asset")"
	[ -n "$want" ] || fail "the verified checksums.txt of $ref has no $asset; this platform has no release binary"
	rm -rf "$tmp"
	install_asset "$want" "the signed checksums.txt of $ref"
}

build() {
	if ! command -v go >/dev/null; then
		fail "no stevedore release to download for '${ref:-this ref}' and no Go toolchain to build one; use a released version of the action (uses: $repo@vX.Y.Z), set the input version, or add actions/setup-go before this step"
	fi
	echo "building stevedore from $ACTION_PATH with $(go version)"
	local tags=""
	[ "$kms" = false ] || tags=stevedore_kms
	(cd "$ACTION_PATH" && go build -trimpath -tags "$tags" -ldflags "-X main.buildVersion=${ref:-source}" -o "$bin" ./cmd/stevedore)
}

if [[ "$ref" =~ ^v[0-9]+(\.[0-9]+){0,2}($|[-+]) ]]; then
	if pin="$(pinned)"; then
		ref="$(basename "$pin" .txt)"
		install_pinned "$pin"
	elif [[ "$ref" =~ ^v[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$ ]]; then
		echo "the action pins no checksums for $ref (no checksums/$ref.txt): verifying the release's signature instead"
		install_signed
	else
		fail "the action at ${ACTION_REF:-this ref} pins no checksums for a release $ref (no checksums/$ref.*.txt); use an exact version (uses: $repo@vX.Y.Z, or the input version: vX.Y.Z) or set the input version: source"
	fi
else
	[ -n "$ref" ] && [ "$ref" != source ] && echo "'$ref' is not a release tag (vX.Y.Z): building stevedore from the action's source"
	build
fi
"$bin" --version
[ "${INSTALL_ONLY:-false}" = true ] && echo "$(dirname "$bin")" >>"$GITHUB_PATH"
echo "path=$bin" >>"$GITHUB_OUTPUT"
