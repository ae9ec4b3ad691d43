#!/usr/bin/env bash
# Whole-program comparison of `stevedore publish` with `crane push` on the same
# image (4 layers x 64 MiB by default) into a local in-memory registry, cold and
# re-published unchanged. Prints wall times; compare them as ratios within one
# run, since the machine is shared.
#
#   bench/publish.sh [LAYERS] [MIB_PER_LAYER]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
layers=${1:-4}
mib=${2:-64}
work=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
cleanup() {
	stop_registries
	rm -rf "$work"
}
trap cleanup EXIT

cd "$root"
echo "building stevedore and crane..."
go build -o "$work/bin/stevedore" ./cmd/stevedore
GOBIN="$work/bin" go install github.com/google/go-containerregistry/cmd/crane@v0.22.1
export PATH="$work/bin:$PATH"

echo "generating ${layers} x ${mib} MiB image..."
go run ./bench/genimage -o "$work/layout" -layers "$layers" -mib "$mib"

# One registry per tool: go-containerregistry's in-memory registry shares
# blobs across repositories, so a second tool would find the first one's
# blobs and send nothing.
sreg=$(start_registry)
creg=$(start_registry)

TIMEFORMAT='%3R s'
t() {
	local label=$1
	shift
	printf '%-34s ' "$label"
	{ time "$@" >"$work/out.log" 2>&1; } 2>&1 || { echo "FAILED:"; tail -3 "$work/out.log"; }
}

t "stevedore publish (cold)" stevedore publish --from "oci:$work/layout" --to "$sreg/s/app:1"
t "crane push (cold)" crane push "$work/layout" "$creg/c/app:1"
t "stevedore publish (unchanged)" stevedore publish --from "oci:$work/layout" --to "$sreg/s/app:1"
t "crane push (unchanged)" crane push "$work/layout" "$creg/c/app:1"
t "stevedore publish (cross-repo)" stevedore publish --from "$sreg/s/app:1" --to "$sreg/s2/app:1"
t "crane copy (cross-repo)" crane copy "$creg/c/app:1" "$creg/c2/app:1"
