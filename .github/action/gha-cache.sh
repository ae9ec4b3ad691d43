#!/usr/bin/env bash
# Step of action.yml: when a cache is type=gha (in the cache-from or
# cache-to input, or in stevedore.yaml), copy actions/runtime into the
# workspace for the next step, which reads the cache service's variables
# that run: steps do not get.
set -euo pipefail

wanted=false
if grep -Eq 'type[[:space:]]*=[[:space:]]*gha' <<<"${INPUT_CACHE_FROM:-}
${INPUT_CACHE_TO:-}"; then
	wanted=true
fi
config="${INPUT_CONFIG:-stevedore.yaml}"
[[ "$config" == /* ]] || config="${INPUT_WORKING_DIRECTORY:-.}/$config"
if [ "$wanted" = false ] && [ -f "$config" ] && grep -Eq 'type[[:space:]]*=[[:space:]]*gha' "$config"; then
	wanted=true
fi
if [ "$wanted" = true ]; then
	dest="${GITHUB_WORKSPACE:?}/.stevedore-runtime"
	rm -rf "$dest"
	mkdir -p "$dest"
	cp "$ACTION_PATH/actions/runtime/action.yml" "$ACTION_PATH/actions/runtime/index.js" "$dest/"
fi
echo "wanted=$wanted" >>"$GITHUB_OUTPUT"
