#!/usr/bin/env bash
# Whole-program comparison: 20 images sharing a 32 MiB base (each adds 1 MiB)
# published into a local in-memory registry by one `stevedore publish` run
# (--jobs 4, every --from at once) against `crane push` one image after the
# other, and against `stevedore publish` run once per image. Cold registries
# each time; prints wall times (compare ratios within one run: the machine is
# shared).
#
#   [ROUNDS=3] bench/many.sh [IMAGES] [BASE_MIB] [OWN_MIB]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-20}
base=${2:-32}
own=${3:-1}
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
if command -v crane >/dev/null; then
	ln -s "$(command -v crane)" "$work/bin/crane"
else
	GOBIN="$work/bin" go install github.com/google/go-containerregistry/cmd/crane@v0.22.1
fi
export PATH="$work/bin:$PATH"

echo "generating $n images: a ${base} MiB shared base + ${own} MiB each..."
go run ./bench/genimage -o "$work/imgs" -count "$n" -base-mib "$base" -mib "$own"


TIMEFORMAT='%3R s'
t() {
	local label=$1
	shift
	printf '%-44s ' "$label"
	{ time "$@" >"$work/out.log" 2>&1; } 2>&1 || { echo "FAILED:"; tail -3 "$work/out.log"; }
}

stevedore_batch() {
	local reg=$1 args=()
	for d in "$work"/imgs/img*; do args+=(--from "oci:$d"); done
	stevedore publish --jobs 4 "${args[@]}" --to "$reg/many/app"
}
stevedore_each() {
	local reg=$1
	for d in "$work"/imgs/img*; do stevedore publish --from "oci:$d" --to "$reg/many/app:$(basename "$d")"; done
}
crane_each() {
	local reg=$1
	for d in "$work"/imgs/img*; do crane push "$d" "$reg/many/app:$(basename "$d")"; done
}

for round in $(seq "${ROUNDS:-3}"); do
	echo "round $round"
	t "stevedore publish, one run, --jobs 4" stevedore_batch "$(start_registry)"
	t "crane push, one image after the other" crane_each "$(start_registry)"
	t "stevedore publish, one run per image" stevedore_each "$(start_registry)"
done
