#!/usr/bin/env bash
# The COPY-heavy cold build (FROM scratch, COPY . /src; 10,000 files,
# ~200 MB) on a quiet disk and on a disk another process keeps busy, next
# to the floor: bench/floor, the same tar + parallel gzip-1 + sha256 written
# to one file on the same disk and fsync'd once. Rounds alternate quiet and
# busy runs of both, so drift hits them alike. Prints median wall times,
# busy/quiet and stevedore/floor ratios; asserts nothing.
#
#   bash bench/busydisk.sh     # FILES=10000 MB=200 ROUNDS=3 HOGS="direct buffered"
#   BEFORE=/path/to/old/stevedore bash bench/busydisk.sh   # also times that binary
#
# The competing writer, started before and stopped after each busy run:
#   direct    dd of 1 GiB chunks with O_DIRECT in a loop: the device queue is
#             full, but no dirty pages of its own;
#   buffered  dd of 1 GiB chunks through the page cache, fsync'd after each
#             (conv=fsync): dirty pages and a flush competing with the build's.
# Everything goes under a temporary directory in /var/tmp (the disk the
# cache would be on), removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

FILES=${FILES:-10000}
MB=${MB:-200}
ROUNDS=${ROUNDS:-3}
HOGS=${HOGS:-direct buffered}
BEFORE=${BEFORE:-}

work=$(mktemp -d /var/tmp/stevedore-bench.XXXXXX)
# shellcheck source=bench/lib.sh
source bench/lib.sh
hog_pid=
stop_hog() {
	[ -n "$hog_pid" ] || return 0
	kill -- "-$hog_pid" 2>/dev/null || kill "$hog_pid" 2>/dev/null || true
	wait "$hog_pid" 2>/dev/null || true
	hog_pid=
	rm -f "$work/hog"
}
trap 'stop_hog; rm -rf "$work"' EXIT

# start_hog KIND starts the competing writer in its own process group.
start_hog() {
	local flags
	case $1 in
	direct) flags=oflag=direct ;;
	buffered) flags=conv=fsync ;;
	*)
		echo "bench/busydisk.sh: unknown HOGS entry $1 (direct or buffered)" >&2
		exit 2
		;;
	esac
	set -m
	(while :; do dd if=/dev/zero of="$work/hog" bs=1M count=1024 $flags status=none; done) &
	hog_pid=$!
	set +m
	sleep 1 # let it fill the queue
}

echo "== building stevedore and the floor"
go build -o "$work/stevedore" ./cmd/stevedore
go build -o "$work/floor" ./bench/floor

echo "== generating a context of $FILES files, ~$MB MB"
ctx=$work/context
make_context "$ctx" "$FILES" "$MB"

declare -A T
# run LABEL CMD...: times CMD, appends its milliseconds to T[LABEL].
run() {
	local label=$1 t0 t1
	shift
	t0=$(now_ms)
	if ! "$@" >>"$work/log" 2>&1; then
		echo "$label failed; log tail:" >&2
		tail -n 20 "$work/log" >&2
		exit 1
	fi
	t1=$(now_ms)
	T[$label]="${T[$label]:-} $((t1 - t0))"
	printf '  %-26s %8.3f s\n' "$label" "$(echo "($t1 - $t0) / 1000" | bc -l)"
}
# stevedore_cold [BINARY]: a cold build to an OCI layout.
stevedore_cold() {
	rm -rf "$work/cache" "$work/out"
	"${1:-$work/stevedore}" build --progress quiet --cache-dir "$work/cache" --destination "oci:$work/out" "$ctx"
}
floor() {
	rm -f "$work/floor.tgz"
	"$work/floor" -C "$ctx" -o "$work/floor.tgz"
}

# both COND: stevedore (and BEFORE) and the floor, the two binaries in
# turns first, since the first run after a change of disk load pays more.
both() {
	if [ -n "$BEFORE" ] && [ $((round % 2)) = 0 ]; then
		run "before $1" stevedore_cold "$BEFORE"
		run "stevedore $1" stevedore_cold
	else
		run "stevedore $1" stevedore_cold
		[ -z "$BEFORE" ] || run "before $1" stevedore_cold "$BEFORE"
	fi
	run "floor $1" floor
}

for round in $(seq 1 "$ROUNDS"); do
	echo "== round $round"
	both quiet
	for hog in $HOGS; do
		start_hog "$hog"
		both "$hog"
		stop_hog
		sync
	done
done

ms() { median ${T[$1]}; }
ratio() { echo "scale=2; $(ms "$1") / $(ms "$2")" | bc -l; }
echo "== medians of $ROUNDS rounds"
for cond in quiet $HOGS; do
	printf '%-10s stevedore %6.2f s  floor %6.2f s  stevedore/floor %s\n' "$cond" \
		"$(echo "$(ms "stevedore $cond") / 1000" | bc -l)" "$(echo "$(ms "floor $cond") / 1000" | bc -l)" \
		"$(ratio "stevedore $cond" "floor $cond")"
done
if [ -n "$BEFORE" ]; then
	for cond in quiet $HOGS; do
		printf '%-10s before %6.2f s  before/stevedore %s\n' "$cond" \
			"$(echo "$(ms "before $cond") / 1000" | bc -l)" "$(ratio "before $cond" "stevedore $cond")"
	done
fi
for hog in $HOGS; do
	printf '%-10s busy/quiet: stevedore %s, floor %s\n' "$hog" \
		"$(ratio "stevedore $hog" "stevedore quiet")" "$(ratio "floor $hog" "floor quiet")"
done
