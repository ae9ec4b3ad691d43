// A stand-in for github.com/hashicorp/go-getter, swapped in only for
// stevedore's release binaries by go.release.mod (see .ci/releasemod.sh).
module github.com/hashicorp/go-getter

go 1.24
