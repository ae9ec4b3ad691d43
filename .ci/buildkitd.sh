#!/usr/bin/env bash
# Starts the BuildKit v0.29 oracle daemon (built by .ci/oracles.sh) with
# Debian's runc, for the builder's conformance tests and the BuildKit driver.
#
#   .ci/buildkitd.sh          start if not running (idempotent); prints the address
#   .ci/buildkitd.sh stop     stop the daemon this script started
#
# It listens on unix:///run/stevedore-buildkit/buildkitd.sock (tests look
# there, or at $STEVEDORE_TEST_BUILDKIT_ADDR) and keeps its state in
# /var/tmp/stevedore-buildkit. buildctl is next to buildkitd in the oracle
# cache; tests find it through $STEVEDORE_TEST_BUILDCTL or PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

run=/run/stevedore-buildkit
sock=$run/buildkitd.sock
addr=unix://$sock
root=/var/tmp/stevedore-buildkit
log=/var/tmp/stevedore-buildkitd.log
pidfile=$run/buildkitd.pid

oracles=$(bash .ci/oracles.sh buildkit)
bin=$oracles/buildkit-v0.29.0
answers() { "$bin/buildctl" --addr "$addr" debug workers >/dev/null 2>&1; }

if [ "${1:-}" = stop ]; then
	if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
		kill "$(cat "$pidfile")"
	fi
	rm -f "$pidfile"
	exit 0
fi

if answers; then
	echo "$addr"
	exit 0
fi
mkdir -p "$run" "$root"
cat >"$run/buildkitd.toml" <<TOML
[worker.oci]
  enabled = true
  binary = "/usr/sbin/runc"
  gc = false
[worker.containerd]
  enabled = false
TOML
nohup "$bin/buildkitd" --root "$root" --addr "$addr" --config "$run/buildkitd.toml" \
	>>"$log" 2>&1 </dev/null &
echo $! >"$pidfile"
for _ in $(seq 1 120); do
	if answers; then
		echo "$addr"
		exit 0
	fi
	kill -0 "$(cat "$pidfile")" 2>/dev/null || break
	sleep 0.5
done
echo ".ci/buildkitd.sh: buildkitd did not answer on $addr; last lines of $log:" >&2
tail -n 30 "$log" >&2
exit 1
