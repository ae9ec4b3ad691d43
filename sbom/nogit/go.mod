// A stand-in for github.com/go-git/go-git/v5, swapped in only for
// stevedore's release binaries by go.release.mod (see .ci/releasemod.sh).
module github.com/go-git/go-git/v5

go 1.24
