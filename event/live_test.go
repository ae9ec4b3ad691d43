package event

import (
	"bytes"
	"strings"
	"sync"
	"testing"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestLiveLineKeepsOutputAboveTheStatus(t *testing.T) {
	var buf lockedBuffer
	l := newLiveLine(&buf)
	l.Start("RUN make")
	if _, err := l.Write([]byte("   | compiling\n")); err != nil {
		t.Fatal(err)
	}
	l.Done("   RUN make 1.0s")
	l.Close()
	// What a terminal shows: erase sequences remove the status line before
	// other output and before the final line.
	var screen []string
	for _, seg := range strings.Split(buf.String(), "\r\x1b[2K") {
		for _, line := range strings.Split(seg, "\n") {
			if line != "" && !strings.HasPrefix(line, "=> ") {
				screen = append(screen, line)
			}
		}
	}
	if got := strings.Join(screen, "|"); got != "   | compiling|   RUN make 1.0s" {
		t.Errorf("screen = %q\nraw = %q", got, buf.String())
	}
	if !strings.Contains(buf.String(), "=> RUN make ") {
		t.Errorf("the running step was never shown: %q", buf.String())
	}
}
