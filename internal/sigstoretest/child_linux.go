package sigstoretest

import "syscall"

// childAttr kills a server when the test process dies without its cleanup
// (a killed or timed-out test binary): an orphaned timestamp authority
// would keep port 2112 and fail every later keyless test on the machine.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
