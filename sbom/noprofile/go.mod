// A stand-in for github.com/pkg/profile, swapped in only for stevedore's
// release binaries by go.release.mod (see .ci/releasemod.sh).
module github.com/pkg/profile

go 1.24
