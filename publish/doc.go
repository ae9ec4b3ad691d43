// Package publish owns where images go: references (registry and oci: layout),
// loading what a reference names, pushing content by digest to any number of
// destinations, moving tags last, registry authentication and the transport
// policy (retries that honour Retry-After, plain HTTP only where allowed).
//
// The contract of Publish is the release's "nothing half-done is visible"
// rule: every destination first receives all content by digest (blobs, then
// child manifests, then the index); only when all destinations hold it are tags
// applied. A failure before that point leaves every tag where it was, and a
// re-run sends no blob that a destination already holds.
package publish
