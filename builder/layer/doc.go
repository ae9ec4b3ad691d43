// Package layer owns the step from "what a build step changed on disk" to a
// reproducible OCI layer blob.
//
// A step's changes are found either from an overlayfs upper directory
// (FromOverlay), by comparing two trees when overlayfs is unavailable (Diff),
// or from a list of files placed at paths, as COPY and ADD produce
// (FromFiles). All three give a Changes value; Write turns it into one
// compressed layer file whose bytes depend only on the changes and the pinned
// settings: entries sorted by path, numeric owners only, timestamps clamped to
// the build epoch, a pinned tar format, compressor, level and block size.
// Both hashes (the diffID of the tar and the digest of the compressed blob)
// are computed while the layer is written, never in a second pass.
package layer
