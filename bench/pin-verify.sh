#!/usr/bin/env bash
# Whole-program comparison: verifying 100 pinned, signed references.
# `stevedore pin --check --verify` of one deploy file pinning 100 images (one
# process) against a shell loop running `cosign verify` once per reference,
# with the cosign v2 CLI (this module's go.mod tool) and the cosign v3 CLI,
# interleaved round by round on the same references in one local in-memory
# registry (no referrers API: bundles live in the sha256-<hex> tag schema).
# The images are signed in both formats (FORMAT=both) so every verifier
# finds a signature it reads. stevedore, cosign v3 and cosign v2.6 all take
# the bundle when there is one; cosign v2 then insists on a trusted root,
# which it would fetch from the public TUF repository: here it gets an empty
# one (--trusted-root), since a key needs none. Prints wall times; compare
# ratios within one run (the machine is shared).
#
#   [ROUNDS=3] [FORMAT=both|legacy|bundle] [COSIGN3=PATH] bench/pin-verify.sh [REFS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-100}
format=${FORMAT:-both}
cosign3=${COSIGN3:-${STEVEDORE_TEST_COSIGN3:-/var/cache/stevedore-oracles/cosign-v3.1.3/cosign}}
work=$(mktemp -d)
reg_pid=
cleanup() {
	if [ -n "$reg_pid" ]; then kill "$reg_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

cd "$root"
echo "building stevedore, cosign v2 (go build tool) and the fixture..."
mkdir -p "$work/bin"
go build -o "$work/bin/stevedore" ./cmd/stevedore
go build -o "$work/bin/signedrefs" ./bench/signedrefs
(cd "$work/bin" && go -C "$root" build -o "$work/bin/" tool)
[ -x "$work/bin/cosign" ] || { echo "go build tool made no cosign" >&2; exit 1; }
if command -v crane >/dev/null; then
	ln -s "$(command -v crane)" "$work/bin/crane"
else
	GOBIN="$work/bin" go install github.com/google/go-containerregistry/cmd/crane@v0.22.1
fi
export PATH="$work/bin:$PATH"
have3=1
[ -x "$cosign3" ] || { echo "cosign v3 not found at $cosign3 (set COSIGN3): its loop is skipped"; have3=0; }
echo "cosign v2: $("$work/bin/cosign" version 2>&1 | awk '/GitVersion/ {print $2}')"
[ "$have3" = 1 ] && echo "cosign v3: $("$cosign3" version 2>&1 | awk '/GitVersion/ {print $2}')"

port=$((20000 + RANDOM % 20000))
PORT=$port crane registry serve >"$work/registry.log" 2>&1 &
reg_pid=$!
for _ in $(seq 50); do
	curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
	sleep 0.1
done
reg=127.0.0.1:$port

echo "pushing and signing $n images ($format)..."
signedrefs -registry "$reg" -n "$n" -o "$work/fix" -format "$format"
cd "$work/fix"
# Each CLI gets its own empty HOME and TUF cache: nothing cached, nothing
# fetched (a key and --insecure-ignore-tlog need no trusted root).
export HOME=$work/home TUF_ROOT=$work/home/.sigstore SYFT_CHECK_FOR_APP_UPDATE=false
mkdir -p "$HOME"
echo '{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}' >trusted_root.json

TIMEFORMAT='%3R s'
t() {
	local label=$1
	shift
	printf '%-52s ' "$label"
	{ time "$@" >"$work/out.log" 2>&1; } 2>&1 || { echo "FAILED:"; tail -3 "$work/out.log"; }
}
stevedore_pin() { stevedore pin --check --verify --key cosign.pub deploy.yaml; }
cosign_loop() {
	local bin=$1
	shift
	while read -r ref; do
		"$bin" verify --key cosign.pub --insecure-ignore-tlog --allow-insecure-registry "$@" "$ref" >/dev/null 2>&1 ||
			{ echo "cosign did not verify $ref" >&2; return 1; }
	done <refs.txt
}

for round in $(seq "${ROUNDS:-3}"); do
	echo "round $round"
	t "stevedore pin --check --verify ($n refs, 1 process)" stevedore_pin
	if [ "$format" != bundle ]; then
		t "cosign v2 verify, shell loop ($n processes)" cosign_loop "$work/bin/cosign" --trusted-root trusted_root.json
	fi
	if [ "$have3" = 1 ]; then
		t "cosign v3 verify, shell loop ($n processes)" cosign_loop "$cosign3"
	fi
done
