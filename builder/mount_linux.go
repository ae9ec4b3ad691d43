package builder

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

func mountTmpfs(dir, opts string) error {
	return unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, opts)
}

// unmount detaches dir at once; the kernel drops it when the last user is
// gone.
func unmount(dir string) error {
	return unix.Unmount(dir, unix.MNT_DETACH)
}

func mountOverlay(lower, upper, work, merged string) error {
	for _, d := range []string{upper, work, merged} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	// redirect_dir and metacopy would make the upper directory meaningless
	// without the lower one; index is not needed for a single mount.
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s,redirect_dir=off,metacopy=off,index=off", lower, upper, work)
	if err := unix.Mount("overlay", merged, "overlay", 0, opts); err != nil {
		return fmt.Errorf("mounting overlay: %w", err)
	}
	return nil
}
