#!/usr/bin/env bash
# Whole-program build comparison: `stevedore build` against Debian's
# `buildah bud --layers` and, when .ci/docker.sh's engine is running,
# `docker build` (dockerd 20.10, BuildKit), on one COPY-heavy context
# (10,000 files, ~200 MB, half random and half text; FROM scratch,
# COPY . /src): a cold build (empty cache) and a fully cached rebuild.
# Prints wall times and ratios, and the bytes the cold build wrote; asserts
# nothing. Needs root and GNU time (/usr/bin/time).
#
#   bash bench/build.sh              # FILES=10000 MB=200 RUNS=1 to change
#
# Installs buildah with apt when missing. Everything it makes goes under a
# temporary directory (and docker images it tags), removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

FILES=${FILES:-10000}
MB=${MB:-200}
RUNS=${RUNS:-1}
DOCKER_HOST_SOCK=${STEVEDORE_TEST_DOCKER_HOST:-unix:///var/run/stevedore-docker.sock}
docker=(/usr/bin/docker -H "$DOCKER_HOST_SOCK")

if [ "$(id -u)" != 0 ]; then
	echo "bench/build.sh: needs root (buildah and dockerd)" >&2
	exit 1
fi
if ! command -v buildah >/dev/null; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends buildah >/dev/null
fi

work=$(mktemp -d /var/tmp/stevedore-bench.XXXXXX)
# shellcheck source=bench/lib.sh
source bench/lib.sh
have_docker=0
if [ -x /usr/bin/docker ] && "${docker[@]}" version >/dev/null 2>&1; then
	have_docker=1
fi
broot=$work/buildah/root
brun=$work/buildah/run
buildah_=(buildah --root "$broot" --runroot "$brun" --storage-driver overlay)
cleanup() {
	"${buildah_[@]}" rm --all >/dev/null 2>&1 || true
	"${buildah_[@]}" rmi --all --force >/dev/null 2>&1 || true
	# overlay leaves its own mount of the storage root behind
	umount "$broot/overlay" 2>/dev/null || true
	if [ "$have_docker" = 1 ]; then
		"${docker[@]}" rmi -f stevedore-bench:latest >/dev/null 2>&1 || true
		"${docker[@]}" builder prune -af >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

echo "== building stevedore"
go build -o "$work/stevedore" ./cmd/stevedore

echo "== generating a context of $FILES files, ~$MB MB"
ctx=$work/context
make_context "$ctx" "$FILES" "$MB"

# timed NAME CMD...: runs CMD (output to the log), prints and records the wall time.
declare -A T
timed() {
	local label=$1
	shift
	local t0 t1
	t0=$(now_ms)
	if ! "$@" >>"$work/log" 2>&1; then
		echo "$label failed; log tail:" >&2
		tail -n 20 "$work/log" >&2
		exit 1
	fi
	t1=$(now_ms)
	T[$label]=$((t1 - t0))
	printf '%-28s %8.3f s\n' "$label" "$(echo "${T[$label]} / 1000" | bc -l)"
}

for run in $(seq 1 "$RUNS"); do
	echo "== run $run"
	rm -rf "$work/st-cache" "$work/st-out"
	# GNU time's %O is the build's file system outputs in 512-byte blocks
	# (the kernel's write_bytes): the layer counts once when the output
	# layout hard-links the cache's copy, twice when it is written again.
	timed "stevedore cold" /usr/bin/time -f %O -o "$work/io" "$work/stevedore" build --progress quiet --cache-dir "$work/st-cache" --destination "oci:$work/st-out" "$ctx"
	printf '%-28s %8.1f MB\n' "  written to disk" "$(echo "$(tail -n1 "$work/io") * 512 / 1048576" | bc -l)"
	shared=0 total=0
	for b in "$work"/st-out/blobs/sha256/*; do
		c=$work/st-cache/blobs/sha256/${b##*/}
		total=$((total + 1))
		if [ -e "$c" ] && [ "$(stat -c %i "$b")" = "$(stat -c %i "$c")" ]; then shared=$((shared + 1)); fi
	done
	echo "  output blobs sharing the cache's file: $shared of $total"
	timed "stevedore cached" "$work/stevedore" build --progress quiet --cache-dir "$work/st-cache" --destination "oci:$work/st-out" "$ctx"

	"${buildah_[@]}" rmi --all --force >/dev/null 2>&1 || true
	timed "buildah cold" "${buildah_[@]}" bud --layers -q -t stevedore-bench "$ctx"
	timed "buildah cached" "${buildah_[@]}" bud --layers -q -t stevedore-bench "$ctx"

	if [ "$have_docker" = 1 ]; then
		"${docker[@]}" rmi -f stevedore-bench:latest >/dev/null 2>&1 || true
		"${docker[@]}" builder prune -af >/dev/null 2>&1 || true
		timed "docker cold" env DOCKER_BUILDKIT=1 "${docker[@]}" build -q --network=none -t stevedore-bench "$ctx"
		timed "docker cached" env DOCKER_BUILDKIT=1 "${docker[@]}" build -q --network=none -t stevedore-bench "$ctx"
	fi
done

ratio() { echo "scale=2; ${T[$1]} / ${T[$2]}" | bc -l; }
echo "== ratios (other / stevedore; above 1 means stevedore is faster)"
printf 'buildah cold / stevedore cold      %s\n' "$(ratio 'buildah cold' 'stevedore cold')"
printf 'buildah cached / stevedore cached  %s\n' "$(ratio 'buildah cached' 'stevedore cached')"
if [ "$have_docker" = 1 ]; then
	printf 'docker cold / stevedore cold       %s\n' "$(ratio 'docker cold' 'stevedore cold')"
	printf 'docker cached / stevedore cached   %s\n' "$(ratio 'docker cached' 'stevedore cached')"
else
	echo "(no docker engine at $DOCKER_HOST_SOCK: start one with .ci/docker.sh to compare with docker build)"
fi
