//go:build linux

package isolate

import (
	"syscall"
	"time"
)

func statTimes(p string) *dirTimes {
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil {
		return nil
	}
	return &dirTimes{
		atime:       time.Unix(st.Atim.Unix()),
		mtimeBefore: time.Unix(st.Mtim.Unix()),
	}
}
