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
reg_pids=()
cleanup() {
	for p in "${reg_pids[@]}"; do kill "$p" 2>/dev/null; done
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
reg_pids=()
start_registry() {
	local port=$((20000 + RANDOM % 20000))
	PORT=$port crane registry serve >"$work/registry-$port.log" 2>&1 &
	reg_pids+=($!)
	for _ in $(seq 50); do
		curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
		sleep 0.1
	done
	echo "127.0.0.1:$port"
}
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
