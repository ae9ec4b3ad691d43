package initgc

import (
	"runtime/debug"
	"testing"
)

// TestDoneRestoresGOGC checks that collection is off until Done and back at
// the process's own setting after it.
func TestDoneRestoresGOGC(t *testing.T) {
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Fatalf("GC percent before Done = %d, want -1 (off)", got)
	}
	Done()
	if got := debug.SetGCPercent(start); got != start {
		t.Errorf("GC percent after Done = %d, want %d", got, start)
	}
	if start == -1 {
		t.Errorf("start = -1: the process's own setting was lost")
	}
}
