package isolate

import (
	"fmt"
	"io"
	"sync"
)

// ExitError reports a command that ran and did not succeed. Errors that
// prevented the command from running at all (bad spec, setup failures, a
// missing executable) are plain errors instead.
type ExitError struct {
	// Code is the exit status; 128+N when the command was killed by signal N,
	// as a shell reports it.
	Code int
	// Tail is the last bytes (DefaultTailSize by default) of the command's
	// stdout and stderr as they were interleaved.
	Tail []byte
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("running command: exit code %d", e.Code)
}

// tailBuffer keeps the last max bytes written to it. It is shared by the
// stdout and stderr writers, hence the lock.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(p)
	if t.max == 0 {
		return n, nil
	}
	if len(p) >= t.max {
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		return n, nil
	}
	if over := len(t.buf) + len(p) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

func (t *tailBuffer) bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]byte(nil), t.buf...)
}

// teeWriter sends output to the caller's writer and the tail. A failing
// caller writer must not stop the command (which would then die of SIGPIPE
// and report a misleading status), so its errors are remembered and ignored.
type teeWriter struct {
	w    io.Writer
	tail *tailBuffer
	err  error
}

func (t *teeWriter) Write(p []byte) (int, error) {
	if t.w != nil && t.err == nil {
		if _, err := t.w.Write(p); err != nil {
			t.err = err
		}
	}
	return t.tail.Write(p)
}

// outputs returns the writers for the command's stdout and stderr. When the
// caller passes the same writer for both, one teeWriter serves both so
// os/exec uses a single pipe and the interleaving is preserved.
func outputs(s *Spec, tail *tailBuffer) (stdout, stderr io.Writer) {
	out := &teeWriter{w: s.Stdout, tail: tail}
	if s.Stderr == s.Stdout {
		return out, out
	}
	return out, &teeWriter{w: s.Stderr, tail: tail}
}
