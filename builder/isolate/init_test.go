package isolate

import "testing"

// Init runs at the start of every stevedore invocation: outside the child it
// must cost nothing.
func TestInitReturnsWithoutAllocating(t *testing.T) {
	if n := testing.AllocsPerRun(100, Init); n != 0 {
		t.Errorf("Init allocated %v times", n)
	}
}

func BenchmarkInit(b *testing.B) {
	for b.Loop() {
		Init()
	}
}
