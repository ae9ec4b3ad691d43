#!/usr/bin/env bash
# Runs the linux/arm64 release binary under QEMU user emulation, so the
# arm64 asset is executed before it ships and not only compiled: its
# --version, and a daemonless build of a FROM scratch, COPY-only Dockerfile
# (no RUN, so no namespaces needed under emulation). The emulated build must
# give the same image digest as this machine's native builds of the same
# context for linux/arm64 and linux/arm64/v8: stevedore normalises platforms
# as BuildKit does, so an arm64 machine's own platform and both spellings
# are one image, reproducible from SOURCE_DATE_EPOCH.
#
# Skips, saying so, without qemu-aarch64-static (Debian: qemu-user-static;
# .ci/oracles.sh qemu unpacks it and .ci/run sets QEMU_AARCH64 to it).
set -euo pipefail
cd "$(dirname "$0")/.."

qemu=${QEMU_AARCH64:-$(command -v qemu-aarch64-static || true)}
if [ -z "$qemu" ]; then
	echo "arm64: SKIP: qemu-aarch64-static not found (Debian: apt-get install qemu-user-static)" >&2
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

DIST=$tmp/dist PLATFORMS=linux/arm64 KMS=0 bash .ci/dist.sh 0.0.0-arm64check >/dev/null
bin=$tmp/dist/stevedore_linux_arm64
if command -v file >/dev/null && ! file "$bin" | grep -q 'ARM aarch64'; then
	echo "arm64: $bin is not an arm64 binary: $(file "$bin")" >&2
	exit 1
fi

out=$("$qemu" "$bin" --version)
echo "arm64: $out" >&2
case $out in *0.0.0-arm64check*) ;; *)
	echo "arm64: --version under $qemu printed $out, want the stamped version 0.0.0-arm64check" >&2
	exit 1
	;;
esac

mkdir -p "$tmp/ctx/etc"
printf 'FROM scratch\nCOPY hello.txt /hello.txt\nCOPY etc/ /etc/\nENV GREETING=hello\n' >"$tmp/ctx/Dockerfile"
echo hello >"$tmp/ctx/hello.txt"
echo 'arm64' >"$tmp/ctx/etc/arch"
export SOURCE_DATE_EPOCH=1700000000
# Separate caches: the native build must not hand the emulated one its layers.
"$qemu" "$bin" build --progress plain --cache-dir "$tmp/cache-arm64" --iidfile "$tmp/arm64.iid" \
	-t "oci:$tmp/arm64-layout" "$tmp/ctx" >&2
go run ./cmd/stevedore build --progress quiet --cache-dir "$tmp/cache-native" --iidfile "$tmp/native.iid" \
	--platform linux/arm64/v8 -t "oci:$tmp/native-layout" "$tmp/ctx" >&2
go run ./cmd/stevedore build --progress quiet --cache-dir "$tmp/cache-native2" --iidfile "$tmp/native2.iid" \
	--platform linux/arm64 -t "oci:$tmp/native2-layout" "$tmp/ctx" >&2
emulated=$(cat "$tmp/arm64.iid") native=$(cat "$tmp/native.iid") native2=$(cat "$tmp/native2.iid")
if [ "$emulated" != "$native" ] || [ "$native" != "$native2" ]; then
	echo "arm64: the emulated arm64 build gave $emulated, the native builds for linux/arm64/v8 $native and linux/arm64 $native2" >&2
	exit 1
fi
echo "arm64: the linux/arm64 binary under QEMU built $emulated, the same image as the native build" >&2
