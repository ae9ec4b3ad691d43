// A stand-in for github.com/go-chi/chi/v5, swapped in only for stevedore's
// release binaries by go.release.mod (see .ci/releasemod.sh).
module github.com/go-chi/chi/v5

go 1.24
