#!/usr/bin/env bash
# Whole-program comparison: one `stevedore release` against the chain of
# separate tools it replaces (buildah bud → crane push → syft → cosign sign →
# cosign attest → cosign verify → crane tag), on the same small multi-stage
# project and a local registry. Tools missing from PATH are skipped, saying
# so; install them with
#   GOBIN=$HOME/go/bin go install github.com/google/go-containerregistry/cmd/crane@v0.22.1
#   GOBIN=$HOME/go/bin go install github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5
#   GOBIN=$HOME/go/bin go install github.com/anchore/syft/cmd/syft@v1.57.1
#   apt-get install -y buildah
# With BuildKit (STEVEDORE_BENCH_BUILDKIT_ADDR, e.g. the address .ci/buildkitd.sh
# prints, and buildctl on PATH or at STEVEDORE_BENCH_BUILDCTL) it also times
# `stevedore release --builder ADDR` against buildctl build → syft → cosign
# on the same daemon, so the two builders are compared on the whole release.
# STEVEDORE_BENCH_BASELINE=/path/to/another/stevedore alternates that binary's
# unchanged re-run with this one's (STEVEDORE_BENCH_ROUNDS rounds) and prints
# both medians: a before/after comparison in one run.
# Prints wall times; compare them as ratios within one run (the machine is
# shared). Needs root (RUN steps, buildah).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
reg_pid=
reg_pids2=
cleanup() {
	[ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null
	[ -n "$reg_pids2" ] && kill "$reg_pids2" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
export PATH="$HOME/go/bin:$PATH"

cd "$root"
# The binary a release ships: built with the release modfile (.ci/releasemod.sh).
bash .ci/releasemod.sh >/dev/null
go build -modfile=go.release.mod -tags urfave_cli_no_docs -o "$work/stevedore" ./cmd/stevedore
have() { command -v "$1" >/dev/null 2>&1; }

# The project: a base made from busybox, a build stage that runs commands,
# and a small runtime stage.
proj=$work/project
mkdir -p "$proj/rootfs/bin" "$proj/rootfs/etc"
cp /bin/busybox "$proj/rootfs/bin/busybox"
for a in sh cat echo mkdir; do ln -s busybox "$proj/rootfs/bin/$a"; done
printf 'root:x:0:0::/root:/bin/sh\n' >"$proj/rootfs/etc/passwd"
for i in $(seq 1 200); do head -c 20000 /dev/urandom | base64 >"$proj/file$i.txt"; done
cat >"$proj/Dockerfile" <<'DOCKERFILE'
FROM scratch AS base
COPY rootfs/ /
FROM base AS build
COPY *.txt /src/
RUN mkdir -p /out && cat /src/*.txt > /out/all.txt
FROM base
COPY --from=build /out/all.txt /all.txt
DOCKERFILE

# One registry per side: go-containerregistry's in-memory registry shares
# blobs across repositories, so the second side would send nothing.
port=$((20000 + RANDOM % 20000))
port2=$((port + 1))
if have crane; then
	PORT=$port crane registry serve >"$work/registry.log" 2>&1 &
	reg_pid=$!
	PORT=$port2 crane registry serve >"$work/registry2.log" 2>&1 &
	reg_pids2=$!
else
	echo "crane missing: using stevedore's destinations only (oci layout)"
fi
sleep 1
reg=127.0.0.1:$port
creg=127.0.0.1:$port2

TIMEFORMAT='%3R s'
printf '%-40s ' "stevedore release (cold)"
cat >"$proj/stevedore.yaml" <<YAML
images:
  - name: app
    destinations: [$( [ -n "$reg_pid" ] && echo "$reg/s/app" || echo "oci:dist/app")]
YAML
( cd "$proj" && git init -q && git -c user.name=b -c user.email=b@b add -A && git -c user.name=b -c user.email=b@b commit -qm "feat: bench" )
{ time COSIGN_PASSWORD= "$work/stevedore" release --dir "$proj" --cache-dir "$work/cache" --snapshot >/dev/null 2>&1; } 2>&1
printf '%-40s ' "stevedore release (re-run)"
{ time COSIGN_PASSWORD= "$work/stevedore" release --dir "$proj" --cache-dir "$work/cache" --snapshot >/dev/null 2>&1; } 2>&1

# STEVEDORE_BENCH_BASELINE=/path/to/an/older/stevedore compares the
# unchanged re-run of both binaries, alternated for
# STEVEDORE_BENCH_ROUNDS rounds (default 5), each with its own project copy,
# cache and repository (the same registry), and prints the medians.
baseline=${STEVEDORE_BENCH_BASELINE:-}
if [ -n "$baseline" ]; then
	rounds=${STEVEDORE_BENCH_ROUNDS:-5}
	cp -a "$proj" "$work/project-base"
	sed -i "s#$reg/s/app#$reg/base/app#" "$work/project-base/stevedore.yaml"
	( cd "$work/project-base" && git -c user.name=b -c user.email=b@b commit -qam "feat: baseline" )
	COSIGN_PASSWORD= "$baseline" release --dir "$work/project-base" --cache-dir "$work/cache-base" --snapshot >/dev/null 2>&1
	rerun() { # binary project cache → seconds
		local s e
		s=$(date +%s.%N)
		COSIGN_PASSWORD= "$1" release --dir "$2" --cache-dir "$3" --snapshot >/dev/null 2>&1
		e=$(date +%s.%N)
		echo "$e - $s" | bc
	}
	: >"$work/t-new"
	: >"$work/t-base"
	for _ in $(seq "$rounds"); do
		rerun "$baseline" "$work/project-base" "$work/cache-base" >>"$work/t-base"
		rerun "$work/stevedore" "$proj" "$work/cache" >>"$work/t-new"
	done
	median() { printf '%.3f s (runs: %s)' "$(sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" "$(xargs printf '%.2f ' <"$1")"; }
	printf '%-40s %s\n' "re-run, baseline (median)" "$(median "$work/t-base")"
	printf '%-40s %s\n' "re-run, this build (median)" "$(median "$work/t-new")"
fi

if have buildah && have crane && have syft && have cosign && [ -n "$reg_pid" ]; then
	export COSIGN_PASSWORD=
	( cd "$work" && cosign generate-key-pair >/dev/null 2>&1 )
	chain() {
		buildah --root "$work/buildah" --runroot "$work/run" bud --layers -q -t app "$proj" >/dev/null
		buildah --root "$work/buildah" --runroot "$work/run" push app "oci:$work/chain-layout:app" >/dev/null
		crane push "$work/chain-layout" "$creg/c/app" >/dev/null
		digest=$(crane digest "$creg/c/app")
		syft scan "registry:$creg/c/app@$digest" -o spdx-json="$work/sbom.json" -q
		cosign sign --yes --tlog-upload=false --allow-insecure-registry --key "$work/cosign.key" "$creg/c/app@$digest" >/dev/null 2>&1
		cosign attest --yes --tlog-upload=false --allow-insecure-registry --key "$work/cosign.key" --type spdxjson --predicate "$work/sbom.json" "$creg/c/app@$digest" >/dev/null 2>&1
		cosign verify --insecure-ignore-tlog --allow-insecure-registry --key "$work/cosign.pub" "$creg/c/app@$digest" >/dev/null 2>&1
		crane tag "$creg/c/app@$digest" 1.0.0
	}
	printf '%-40s ' "buildah+crane+syft+cosign (cold)"
	{ time chain >"$work/chain.log" 2>&1; } 2>&1
	printf '%-40s ' "buildah+crane+syft+cosign (re-run)"
	{ time chain >"$work/chain.log" 2>&1; } 2>&1
else
	echo "the tool chain needs buildah, crane, syft and cosign on PATH: skipped"
fi

# The BuildKit driver: the same release built on a BuildKit daemon, against
# the chain a BuildKit user glues together (buildctl build with push, syft,
# cosign sign/attest/verify, crane tag).
bk_addr=${STEVEDORE_BENCH_BUILDKIT_ADDR:-}
buildctl=${STEVEDORE_BENCH_BUILDCTL:-$(command -v buildctl || true)}
if [ -z "$bk_addr" ] || [ -z "$buildctl" ] || [ -z "$reg_pid" ]; then
	echo "BuildKit comparison needs STEVEDORE_BENCH_BUILDKIT_ADDR, buildctl and crane: skipped"
	exit 0
fi
sed -i "s#$reg/s/app#$reg/bk/app#" "$proj/stevedore.yaml"
( cd "$proj" && git -c user.name=b -c user.email=b@b commit -qam "feat: bench on buildkit" )
printf '%-40s ' "stevedore release --builder (cold)"
{ time COSIGN_PASSWORD= "$work/stevedore" release --dir "$proj" --cache-dir "$work/cache-bk" --snapshot --builder "$bk_addr" --ledger "" >/dev/null 2>&1; } 2>&1
printf '%-40s ' "stevedore release --builder (re-run)"
{ time COSIGN_PASSWORD= "$work/stevedore" release --dir "$proj" --cache-dir "$work/cache-bk" --snapshot --builder "$bk_addr" --ledger "" >/dev/null 2>&1; } 2>&1
if have syft && have cosign; then
	export COSIGN_PASSWORD=
	[ -f "$work/cosign.key" ] || ( cd "$work" && cosign generate-key-pair >/dev/null 2>&1 )
	bkchain() {
		"$buildctl" --addr "$bk_addr" build --frontend dockerfile.v0 --local context="$proj" --local dockerfile="$proj" \
			--output "type=image,name=$creg/bk/app:build,push=true,registry.insecure=true" --metadata-file "$work/bk-meta.json" >/dev/null 2>&1
		digest=$(jq -r '."containerimage.digest"' "$work/bk-meta.json")
		syft scan "registry:$creg/bk/app@$digest" -o spdx-json="$work/sbom.json" -q
		cosign sign --yes --tlog-upload=false --allow-insecure-registry --key "$work/cosign.key" "$creg/bk/app@$digest" >/dev/null 2>&1
		cosign attest --yes --tlog-upload=false --allow-insecure-registry --key "$work/cosign.key" --type spdxjson --predicate "$work/sbom.json" "$creg/bk/app@$digest" >/dev/null 2>&1
		cosign verify --insecure-ignore-tlog --allow-insecure-registry --key "$work/cosign.pub" "$creg/bk/app@$digest" >/dev/null 2>&1
		crane tag "$creg/bk/app@$digest" 1.0.0
	}
	printf '%-40s ' "buildctl+syft+cosign+crane (cold)"
	{ time bkchain >"$work/bkchain.log" 2>&1; } 2>&1
	printf '%-40s ' "buildctl+syft+cosign+crane (re-run)"
	{ time bkchain >"$work/bkchain.log" 2>&1; } 2>&1
else
	echo "the BuildKit tool chain needs syft and cosign on PATH: skipped"
fi
