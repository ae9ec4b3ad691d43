#!/usr/bin/env bash
# Peak memory (maximum resident set size, from /usr/bin/time -v) of one
# `stevedore release` of N images and of one `stevedore publish` of N images,
# for N in $COUNTS. The images share a base of BASE_MIB random bytes and each
# adds OWN_MIB of its own (the fixture of bench/many.sh); the release builds
# them from N contexts (`COPY base.bin own.bin /data/`), makes their SBOMs,
# signs them with a local key and pushes them to go-containerregistry's
# registry (a separate process, so its memory is not counted). Uploads and
# layer writes stream, so the figure should grow with the image count only
# by per-image bookkeeping, not by the images' size.
#
#   [COUNTS="1 5 10 20"] bench/memory.sh [BASE_MIB] [OWN_MIB]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
base=${1:-32}
own=${2:-1}
counts=${COUNTS:-1 5 10 20}
work=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
cleanup() {
	stop_registries
	rm -rf "$work"
}
trap cleanup EXIT
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install -y time" >&2; exit 1; }

cd "$root"
echo "building stevedore and crane..."
go build -o "$work/bin/stevedore" ./cmd/stevedore
if command -v crane >/dev/null; then
	ln -s "$(command -v crane)" "$work/bin/crane"
else
	GOBIN="$work/bin" go install github.com/google/go-containerregistry/cmd/crane@v0.22.1
fi
export PATH="$work/bin:$PATH" SYFT_CHECK_FOR_APP_UPDATE=false COSIGN_PASSWORD=


# peak LABEL CMD…: runs CMD, prints its wall time and maximum RSS.
peak() {
	local label=$1
	shift
	if /usr/bin/time -v -o "$work/time.txt" "$@" >"$work/out.log" 2>&1; then
		awk -v l="$label" '/Maximum resident set size/ {rss=$NF} /Elapsed \(wall clock\)/ {w=$NF}
			END {printf "%-28s %8.1f MiB  %s\n", l, rss/1024, w}' "$work/time.txt"
	else
		printf '%-28s FAILED:\n' "$label"
		tail -5 "$work/out.log"
	fi
}

head -c $((base << 20)) /dev/urandom >"$work/base.bin"
max=0
for n in $counts; do [ "$n" -gt "$max" ] && max=$n; done
echo "generating $max images: a ${base} MiB shared base + ${own} MiB each..."
go run ./bench/genimage -o "$work/imgs" -count "$max" -base-mib "$base" -mib "$own"

# The release project: one context per image, all in one repository.
proj=$work/project
mkdir -p "$proj"
{
	echo "images:"
	for i in $(seq -w 1 "$max"); do
		mkdir -p "$proj/img$i"
		ln "$work/base.bin" "$proj/img$i/base.bin"
		head -c $((own << 20)) /dev/urandom >"$proj/img$i/own.bin"
		printf 'FROM scratch\nCOPY base.bin own.bin /data/\n' >"$proj/img$i/Dockerfile"
		echo "  - name: img$i"
		echo "    context: img$i"
		echo "    destinations: [REGISTRY/mem/img$i]"
	done
} >"$work/stevedore.yaml.in"
git -C "$proj" init -q

printf '%-28s %12s  %s\n' "" "max RSS" "wall"
for n in $counts; do
	reg=$(start_registry)
	head -n $((1 + 3 * n)) "$work/stevedore.yaml.in" | sed "s|REGISTRY|$reg|" >"$proj/stevedore.yaml"
	git -C "$proj" add -A
	git -C "$proj" -c user.name=b -c user.email=b@b commit -qm "feat: $n images" --allow-empty
	peak "release, $n images" stevedore release --dir "$proj" --cache-dir "$work/cache-$n" --snapshot --ledger ""
	args=()
	for d in $(ls -d "$work"/imgs/img* | head -n "$n"); do args+=(--from "oci:$d"); done
	peak "publish, $n images" stevedore publish --jobs 4 "${args[@]}" --to "$(start_registry)/many/app" --ledger ""
done
