// A stand-in for github.com/hashicorp/hcl/v2, swapped in only for
// stevedore's release binaries by go.release.mod (see .ci/releasemod.sh).
module github.com/hashicorp/hcl/v2

go 1.24
