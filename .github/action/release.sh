#!/usr/bin/env bash
# Step 2 of action.yml: run `stevedore release` with flags from the inputs.
#
# Inputs arrive as INPUT_* environment variables, never interpolated into
# the script, so no input can inject shell code. Secrets stay in the
# environment: COSIGN_PASSWORD and GITHUB_TOKEN are read by stevedore
# itself, and a PEM key given as the input "key" is handed over as
# env://STEVEDORE_SIGNING_KEY, never on the command line. stevedore writes
# the step outputs and the step summary itself.
set -euo pipefail

# The cache service's variables for type=gha caches, from the file the
# actions/runtime step wrote (they are not in a run: step's environment):
# read as data, never run, and removed at once.
if [ -n "${STEVEDORE_RUNTIME_ENV:-}" ]; then
	while IFS= read -r line; do
		k="${line%%=*}"
		case "$k" in
		ACTIONS_RUNTIME_TOKEN | ACTIONS_CACHE_URL | ACTIONS_RESULTS_URL | ACTIONS_CACHE_SERVICE_V2) export "$k=${line#*=}" ;;
		esac
	done <"$STEVEDORE_RUNTIME_ENV"
	rm -f "$STEVEDORE_RUNTIME_ENV"
fi
rm -rf "${GITHUB_WORKSPACE:-/nonexistent}/.stevedore-runtime"

cd "${INPUT_WORKING_DIRECTORY:-.}"

# --action-inputs: stevedore reads images, build-args, target, secrets,
# secret-files, secret-envs, cache-from, cache-to and the sep-* inputs from
# INPUT_* itself, with
# build-push-action's list rules (CSV lines, "quoted" multi-line values).
args=(release --action-inputs)
add() { [ -z "$2" ] || args+=("$1" "$2"); }
truthy() {
	case "$(echo "$1" | tr '[:upper:]' '[:lower:]')" in
	true | yes | 1 | on) return 0 ;;
	false | no | 0 | off | "") return 1 ;;
	*)
		echo "::error title=stevedore::input $2 is '$1': want true or false"
		exit 2
		;;
	esac
}

add --config "${INPUT_CONFIG:-}"
add --image-name "${INPUT_IMAGE_NAME:-}"
add --context "${INPUT_CONTEXT:-}"
add --file "${INPUT_DOCKERFILE:-}"
while IFS= read -r d; do
	d="${d#"${d%%[![:space:]]*}"}"
	d="${d%"${d##*[![:space:]]}"}"
	add --destination "$d"
done <<<"${INPUT_DESTINATIONS:-}"
# images (metadata-action's name=…,enable=… lines) is read by stevedore.
# Tag rules are passed whole: stevedore reads one rule per line.
if [ -n "$(echo "${INPUT_TAGS:-}" | tr -d '[:space:]')" ]; then
	args+=(--tag-rule "$INPUT_TAGS")
fi
if [ -n "$(echo "${INPUT_FLAVOR:-}" | tr -d '[:space:]')" ]; then
	args+=(--flavor "$INPUT_FLAVOR")
fi
# labels and annotations: KEY=VALUE per line; blank lines and # comments
# are skipped, as metadata-action's list inputs.
while IFS= read -r l; do
	l="${l#"${l%%[![:space:]]*}"}"
	l="${l%"${l##*[![:space:]]}"}"
	[[ -z "$l" || "$l" == \#* ]] || args+=(--label "$l")
done <<<"${INPUT_LABELS:-}"
while IFS= read -r l; do
	l="${l#"${l%%[![:space:]]*}"}"
	l="${l%"${l##*[![:space:]]}"}"
	[[ -z "$l" || "$l" == \#* ]] || args+=(--annotation "$l")
done <<<"${INPUT_ANNOTATIONS:-}"
platforms="$(echo "${INPUT_PLATFORMS:-}" | tr '\n' ',' | tr -d '[:space:]' | sed 's/,,*/,/g; s/^,//; s/,$//')"
add --platform "$platforms"
add --sign "${INPUT_SIGN:-}"
key="${INPUT_KEY:-}"
if [[ "$key" == *"-----BEGIN"* ]]; then
	export STEVEDORE_SIGNING_KEY="$key"
	key="env://STEVEDORE_SIGNING_KEY"
fi
add --key "$key"
add --builder "${INPUT_BUILDER:-}"
# builder-tls-*: a file, or the PEM itself (from a secret). A PEM is written
# to a private file under RUNNER_TEMP, never put on the command line, and
# removed when the step ends, whatever stevedore's exit.
tls_files=()
cleanup() { [ "${#tls_files[@]}" -eq 0 ] || rm -f "${tls_files[@]}"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
tls() {
	local v="$2" f
	[ -n "$v" ] || return 0
	if [[ "$v" == *"-----BEGIN"* ]]; then
		f="$(umask 077 && mktemp "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/stevedore-$3.XXXXXX")"
		tls_files+=("$f")
		printf '%s\n' "$v" >"$f"
		v="$f"
	fi
	args+=("$1" "$v")
}
tls --builder-tls-ca "${INPUT_BUILDER_TLS_CA:-}" tls-ca
tls --builder-tls-cert "${INPUT_BUILDER_TLS_CERT:-}" tls-cert
tls --builder-tls-key "${INPUT_BUILDER_TLS_KEY:-}" tls-key
add --builder-tls-server-name "${INPUT_BUILDER_TLS_SERVER_NAME:-}"
if ! truthy "${INPUT_PUSH:-true}" push; then
	args+=(--push=false)
fi
truthy "${INPUT_DRY_RUN:-false}" dry-run && args+=(--dry-run)
truthy "${INPUT_SNAPSHOT:-false}" snapshot && args+=(--snapshot)
truthy "${INPUT_GIT_TAG:-false}" git-tag && args+=(--git-tag)
if [ -n "${INPUT_COSIGN_PASSWORD:-}" ]; then
	export COSIGN_PASSWORD="$INPUT_COSIGN_PASSWORD"
fi
# An empty token must not shadow credentials from `docker login`.
[ -n "${GITHUB_TOKEN:-}" ] || unset GITHUB_TOKEN

echo "stevedore ${args[*]}"
# Not exec: the EXIT trap removes the TLS files after stevedore ends.
rc=0
"${STEVEDORE:?the path of the stevedore binary}" "${args[@]}" || rc=$?
exit "$rc"
