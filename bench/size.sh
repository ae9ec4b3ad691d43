#!/usr/bin/env bash
# Reports, for the stripped linux/amd64 release binaries built by
# .ci/dist.sh (the default build and the stevedore_kms one with the cloud
# KMS providers): the size, the median wall time of `stevedore --version`
# over RUNS runs (default 20), and its package initialisation as the
# runtime's GODEBUG=inittrace=1 counts it (packages, ms, bytes, allocations;
# medians). Reported, never asserted. The builds are timed alternately, so a
# busy machine slows them alike and their ratios stay meaningful.
#
# BASELINE=REV adds the default build of an earlier revision (its source
# from `git archive`, built the way its own .ci/dist.sh did: with its
# go.release.mod when it has .ci/releasemod.sh), to compare before and after:
#
#   BASELINE=839bd8a bench/size.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-20}
dist=$(mktemp -d)
trap 'rm -rf "$dist"' EXIT
PLATFORMS=linux/amd64 DIST=$dist bash .ci/dist.sh 0.0.0-bench >/dev/null 2>&1
bins=("$dist/stevedore_linux_amd64" "$dist/stevedore_kms_linux_amd64")
if [ -n "${BASELINE:-}" ]; then
	src=$dist/baseline-src
	mkdir -p "$src"
	git archive "$BASELINE" | tar -x -C "$src"
	modfile=()
	if [ -f "$src/.ci/releasemod.sh" ]; then
		bash "$src/.ci/releasemod.sh" >/dev/null
		modfile=(-modfile=go.release.mod)
	fi
	(cd "$src" && CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build "${modfile[@]}" -trimpath -buildvcs=false \
		-ldflags "-s -w -X main.buildVersion=0.0.0-baseline" -o "$dist/stevedore_baseline_linux_amd64" ./cmd/stevedore)
	bins=("$dist/stevedore_baseline_linux_amd64" "${bins[@]}")
fi
median() { sort -n | sed -n "$(((runs + 1) / 2))p"; }
declare -A wall init
for _ in $(seq "$runs"); do
	for b in "${bins[@]}"; do
		s=$(date +%s%N)
		"$b" --version >/dev/null
		e=$(date +%s%N)
		wall[$b]+="$(((e - s) / 1000)) "
		init[$b]+="$(GODEBUG=inittrace=1 "$b" --version 2>&1 >/dev/null |
			awk '$1 == "init" { n++; ms += $5; by += $8; al += $10 } END { printf "%d,%.2f,%d,%d", n, ms, by, al }') "
	done
done
for b in "${bins[@]}"; do
	bytes=$(stat -c %s "$b")
	w=$(printf '%s\n' ${wall[$b]} | median)
	col() { printf '%s\n' ${init[$b]} | cut -d, -f"$1" | median; }
	printf '%s: %d bytes (%.1f MiB); --version median %.1f ms; init: %s packages, %s ms, %s bytes, %s allocs (medians of %d runs)\n' \
		"$(basename "$b")" "$bytes" "$(echo "$bytes / 1048576" | bc -l)" "$(echo "$w / 1000" | bc -l)" \
		"$(col 1)" "$(col 2)" "$(col 3)" "$(col 4)" "$runs"
done
