//go:build !linux

package builder

// RUN is refused before any of these are reached (canRun): they exist so
// that the rest of the builder, COPY and ADD included, builds everywhere.

func mountTmpfs(string, string) error { return errRunNeedsLinux }

func unmount(string) error { return nil }

func mountOverlay(_, _, _, _ string) error { return errRunNeedsLinux }
