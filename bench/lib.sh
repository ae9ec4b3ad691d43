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

# make_context DIR FILES MB writes the COPY-heavy build context: FILES files
# of ~MB MB in all, half random and half text, and a Dockerfile
# FROM scratch / COPY . /src.
make_context() {
	local ctx=$1
	mkdir -p "$ctx"
	python3 - "$1" "$2" "$3" <<'PY'
import os, random, sys
ctx, n, mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(42)
words = b"lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor".split()
mean = mb * (1 << 20) // n
text = b" ".join(rng.choice(words) for _ in range(4 * mean // 5 + 64))
total = 0
for i in range(n):
    d = os.path.join(ctx, "d%02d" % (i % 100))
    os.makedirs(d, exist_ok=True)
    size = mean // 2 + rng.randrange(mean)
    data = os.urandom(size) if i % 2 == 0 else (text * (size // len(text) + 1))[:size]
    with open(os.path.join(d, "f%05d.dat" % i), "wb") as f:
        f.write(data)
    total += size
print("context: %d files, %.1f MB" % (n, total / (1 << 20)))
PY
	printf 'FROM scratch\nCOPY . /src\n' >"$ctx/Dockerfile"
	sync
	# A file written this very second may be re-hashed whatever its metadata
	# (its recorded sum could be racy); real contexts are older than that.
	sleep 2
}

# now_ms prints a monotonic-ish wall clock in milliseconds.
now_ms() { date +%s%3N; }

# median prints the median of its integer arguments.
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }
