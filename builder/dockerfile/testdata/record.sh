#!/usr/bin/env bash
# record.sh re-records the golden image configs under golden/ with a real
# docker engine (BuildKit), so the Go tests can compare against what
# `docker build` writes without needing a daemon themselves.
#
# Needs root, Debian's docker.io and busybox-static. It starts its own dockerd
# on a private socket and data root, and stops it on exit.
#
#   bash build/dockerfile/testdata/record.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
sock=$work/docker.sock
docker=(/usr/bin/docker -H "unix://$sock")

dockerd --data-root "$work/data" --exec-root "$work/exec" --pidfile "$work/dockerd.pid" \
	--host "unix://$sock" >"$work/dockerd.log" 2>&1 &
dpid=$!
trap 'kill "$dpid" 2>/dev/null; wait "$dpid" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 60); do "${docker[@]}" version >/dev/null 2>&1 && break; sleep 0.5; done

# A base image without network: busybox-static as /bin/busybox plus /bin/sh.
mkdir -p "$work/rootfs/bin"
cp /bin/busybox "$work/rootfs/bin/busybox"
ln -s busybox "$work/rootfs/bin/sh"
ln -s busybox "$work/rootfs/bin/cat"
ln -s busybox "$work/rootfs/bin/echo"
tar -C "$work/rootfs" -cf - . | "${docker[@]}" import - busybox-base >/dev/null
# docker save refuses images without layers, so read each image's config
# blob straight from the engine's content store: it is the exact JSON the
# engine wrote.
imageconfig() {
	local id
	id=$("${docker[@]}" image inspect -f '{{.Id}}' "$1")
	cat "$work"/data/image/*/imagedb/content/sha256/"${id#sha256:}"
}
imageconfig busybox-base | jq -S '{config: .config, history: (.history // [])}' >"$here/golden/busybox-base.json"

"${docker[@]}" version --format '{{.Server.Version}}' >"$here/golden/ENGINE"

for df in "$here"/golden/*.Dockerfile; do
	name=$(basename "$df" .Dockerfile)
	args=()
	if [[ -f "$here/golden/$name.args" ]]; then
		while IFS= read -r kv; do [[ -n $kv ]] && args+=(--build-arg "$kv"); done <"$here/golden/$name.args"
	fi
	DOCKER_BUILDKIT=1 "${docker[@]}" build -q -f "$df" -t "golden-$name" "${args[@]}" "$here/golden" >/dev/null
	# Keep what the Dockerfile decides; drop timestamps and layer digests,
	# which depend on the clock and the engine.
	imageconfig "golden-$name" |
		jq -S '{author: .author, config: .config, history: [(.history // [])[] | {created_by, comment, empty_layer: (.empty_layer // false)}]}' \
			>"$here/golden/$name.golden.json"
	echo "recorded golden/$name.golden.json"
done
