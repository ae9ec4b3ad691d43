#!/usr/bin/env bash
# Reports the size of the stripped linux/amd64 release binary (built by
# .ci/dist.sh) and the start-up time of `stevedore --version`: the median
# wall time of RUNS runs (default 20). Reported, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-20}
dist=$(mktemp -d)
trap 'rm -rf "$dist"' EXIT
PLATFORMS=linux/amd64 DIST=$dist bash .ci/dist.sh 0.0.0-bench >/dev/null 2>&1
bin=$dist/stevedore_linux_amd64
bytes=$(stat -c %s "$bin")
times=()
for _ in $(seq "$runs"); do
	s=$(date +%s%N)
	"$bin" --version >/dev/null
	e=$(date +%s%N)
	times+=($(((e - s) / 1000)))
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
printf 'stripped linux/amd64: %d bytes (%.1f MiB)\n' "$bytes" "$(echo "$bytes / 1048576" | bc -l)"
printf 'stevedore --version: median %.1f ms of %d runs\n' "$(echo "$median / 1000" | bc -l)" "$runs"
