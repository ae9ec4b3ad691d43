// Package filelock takes exclusive locks on files, shared by the processes
// that write one cache entry, one OCI layout's index.json or one test
// server's port: flock(2) where the platform has it.
package filelock
