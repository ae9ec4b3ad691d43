package event

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// liveLine keeps one status line at the bottom of a terminal: the running
// step with its elapsed time, redrawn every tick, then replaced by the
// step's final line. Anything else written meanwhile (RUN output) goes
// through Write, which first moves the status line out of the way.
type liveLine struct {
	mu      sync.Mutex
	w       io.Writer
	status  string
	started time.Time
	shown   bool
	stop    chan struct{}
}

func newLiveLine(w io.Writer) *liveLine {
	l := &liveLine{w: w, stop: make(chan struct{})}
	go func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-t.C:
				l.mu.Lock()
				l.draw()
				l.mu.Unlock()
			}
		}
	}()
	return l
}

// draw rewrites the status line in place (caller holds mu).
func (l *liveLine) draw() {
	if l.status == "" {
		return
	}
	fmt.Fprintf(l.w, "\r\x1b[2K=> %s %.1fs", l.status, time.Since(l.started).Seconds())
	l.shown = true
}

// clear removes the status line (caller holds mu).
func (l *liveLine) clear() {
	if l.shown {
		fmt.Fprint(l.w, "\r\x1b[2K")
		l.shown = false
	}
}

// Start shows a running step.
func (l *liveLine) Start(status string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clear()
	l.status, l.started = status, time.Now()
	l.draw()
}

// Done replaces the status line with a finished step's line.
func (l *liveLine) Done(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clear()
	l.status = ""
	fmt.Fprintln(l.w, line)
}

// Write prints other output above the status line.
func (l *liveLine) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clear()
	n, err := l.w.Write(p)
	l.draw()
	return n, err
}

// Close stops redrawing and removes the status line.
func (l *liveLine) Close() {
	close(l.stop)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clear()
}
