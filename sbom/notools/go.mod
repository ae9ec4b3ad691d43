// A stand-in for golang.org/x/tools, swapped in only for stevedore's
// release binaries by go.release.mod (see .ci/releasemod.sh).
module golang.org/x/tools

go 1.24
