#!/usr/bin/env bash
# Starts a reference Docker engine (Debian's docker.io: dockerd 20.10 with
# BuildKit) for the oracle tests in builder/oracle_test.go, which compare
# stevedore's images with docker's and run stevedore's images with it.
#
#   .ci/docker.sh          install if missing, start if not running (idempotent)
#   .ci/docker.sh stop     stop the engine this script started
#
# The engine listens on unix:///var/run/stevedore-docker.sock (the tests look
# there, or at $STEVEDORE_TEST_DOCKER_HOST), keeps its data in
# /var/tmp/stevedore-dockerd and logs to /var/tmp/stevedore-dockerd.log.
# Containers have no network (--bridge=none): run them with --network=none.
# Use Debian's client /usr/bin/docker: the newer one that may be on PATH
# wants a buildx plugin for BuildKit builds.
set -euo pipefail

sock=/var/run/stevedore-docker.sock
host=unix://$sock
data=/var/tmp/stevedore-dockerd
log=/var/tmp/stevedore-dockerd.log
pidfile=/var/run/stevedore-dockerd.pid
docker=/usr/bin/docker

answers() { "$docker" -H "$host" version >/dev/null 2>&1; }

if [ "${1:-}" = stop ]; then
	if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
		pid=$(cat "$pidfile")
		kill "$pid"
		for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
		echo "stopped dockerd (pid $pid)"
	else
		echo "dockerd from this script is not running"
	fi
	rm -f "$pidfile"
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo ".ci/docker.sh: dockerd needs root" >&2
	exit 1
fi

# Installed only when missing: a warm machine skips apt. dockerd must be
# Debian's, and so must the client.
if ! [ -x /usr/sbin/dockerd ] || ! dpkg-query -W -f='${Status}' docker.io 2>/dev/null | grep -q 'install ok installed'; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends docker.io >/dev/null
fi

if answers; then
	echo "dockerd already answers on $host"
	exit 0
fi

mkdir -p "$data"
# --bridge=none and --iptables=false: no network setup on the host; the
# tests need none (bases come from `docker load`, containers run with
# --network=none). containerd is started by dockerd itself.
nohup /usr/sbin/dockerd \
	--data-root "$data" \
	--exec-root /var/run/stevedore-docker \
	--pidfile "$pidfile" \
	--host "$host" \
	--iptables=false --ip6tables=false --bridge=none \
	--containerd-namespace stevedore-moby --containerd-plugins-namespace stevedore-plugins \
	>>"$log" 2>&1 </dev/null &
pid=$!

for _ in $(seq 1 120); do
	if answers; then
		echo "dockerd (pid $pid) answers on $host; log: $log"
		exit 0
	fi
	if ! kill -0 "$pid" 2>/dev/null; then
		break
	fi
	sleep 0.5
done
echo ".ci/docker.sh: dockerd did not answer on $host within 60 s; last lines of $log:" >&2
tail -n 30 "$log" >&2
exit 1
