#!/usr/bin/env bash
# Lists the modules (or, with BY=package, the packages) that take the most
# room in the linux/amd64 release binary: the sizes of their text, rodata
# and data symbols as `go tool nm -size` reports them, largest first (TOP,
# default 40). Built like .ci/dist.sh builds it (go.release.mod, the release
# tags) but with its symbol table; MODFILE=go.mod shows the `go install`
# build instead. Symbols in .bss/.noptrbss take no room in the file and are
# left out; the file also holds a function table (.gopclntab) that grows
# with the amount of code, so a module's share of the file is larger still.
set -euo pipefail
cd "$(dirname "$0")/.."
top=${TOP:-40}
modfile=${MODFILE:-go.release.mod}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ "$modfile" = go.release.mod ] && bash .ci/releasemod.sh >/dev/null
CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -modfile="$modfile" -tags urfave_cli_no_docs -trimpath -o "$work/stevedore" ./cmd/stevedore
GOOS=linux GOARCH=amd64 go list -modfile="$modfile" -tags urfave_cli_no_docs -deps \
	-f '{{.ImportPath}} {{if .Module}}{{.Module.Path}}{{else}}std{{end}}' ./cmd/stevedore >"$work/mods"
# nm labels some zero-filled symbols D; what decides is the address: at or
# past the start of .bss nothing is in the file.
bss=$(readelf -SW "$work/stevedore" | awk '$2 == ".bss" { print $4 }')
go tool nm -size "$work/stevedore" >"$work/syms"
BY=${BY:-module} python3 - "$work/mods" "$work/syms" "$bss" "$top" <<'PY'
import os, re, sys
mods = dict(l.split() for l in open(sys.argv[1]))
bss, top = int(sys.argv[3], 16), int(sys.argv[4])
size, total = {}, 0
for line in open(sys.argv[2]):
    f = line.split(None, 3)
    if len(f) < 4 or f[2] not in "TtRrDd" or int(f[0], 16) >= bss:
        continue
    pkg = re.sub(r"\.[^/]*$", "", f[3].strip())  # the name up to the first dot after the last slash
    key = pkg if os.environ["BY"] == "package" else mods.get(pkg, "other (runtime tables, generics, types)")
    size[key] = size.get(key, 0) + int(f[1]); total += int(f[1])
for k, v in sorted(size.items(), key=lambda kv: -kv[1])[:top]:
    print(f"{v / 1048576:10.2f} MiB  {100 * v / total:5.1f}%  {k}")
PY
