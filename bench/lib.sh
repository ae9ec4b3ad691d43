# Shared by the bench scripts (source it after setting $work).

# start_registry starts go-containerregistry's in-memory registry on a
# random port and prints HOST:PORT once it answers. Its pid goes to
# $work/registry.pids, since scripts call it in $(…), a subshell that
# cannot add to their variables; stop_registries kills them all.
start_registry() {
	local port=$((20000 + RANDOM % 20000))
	PORT=$port crane registry serve >"$work/registry-$port.log" 2>&1 &
	echo $! >>"$work/registry.pids"
	for _ in $(seq 50); do
		curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
		sleep 0.1
	done
	echo "127.0.0.1:$port"
}

stop_registries() {
	[ -f "$work/registry.pids" ] || return 0
	while read -r p; do kill "$p" 2>/dev/null || true; done <"$work/registry.pids"
}
