// Package isolate owns running one Dockerfile RUN step without a daemon: it
// takes a prepared, writable root filesystem directory and runs a command in
// it, isolated the way docker build isolates RUN, and leaves behind only what
// the command itself changed.
//
// Three isolation modes exist (see Isolation):
//
//   - IsolationNamespaces (default when root): the current binary is
//     re-executed as a small init process in new mount, PID, UTS and IPC
//     namespaces (and a new network namespace for Network "none"). It mounts
//     /proc, a minimal /dev, a read-only /sys, the generated /etc/hosts,
//     /etc/resolv.conf and /etc/hostname and the caller's Mounts, pivots into
//     the root filesystem, then starts the command as the requested user,
//     reaps orphans and reports the command's exit status.
//   - IsolationRootless (default when not root): the same inside a new user
//     namespace that maps the caller's uid and gid to 0.
//   - IsolationOCI: an OCI runtime bundle is written and run with runc or
//     crun; the container's state is deleted afterwards.
//
// Because the namespaces modes re-execute the binary, every program using
// them must call Init first thing in main (and in TestMain); see Init.
//
// Mount points that had to be created in the root filesystem (for /proc,
// /dev, /etc/hosts, a secret's target, ...) are removed again after the run
// when they are still empty, so a layer diff of the root filesystem shows only
// the command's own changes, as with docker build.
package isolate
