package layer

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

func TestQueuedWriterKeepsOrder(t *testing.T) {
	want := make([]byte, 5<<20+123)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range want {
		want[i] = byte(rng.Uint32())
	}
	var got bytes.Buffer
	q := newQueuedWriter(&got, 64<<10, 4)
	for p := want; len(p) > 0; {
		n := min(len(p), 1+rng.IntN(200<<10))
		if _, err := q.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("wrote %d bytes, not the %d given in order", got.Len(), len(want))
	}
}

type failAfter struct{ n int }

var errDiskFull = errors.New("disk full")

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errDiskFull
	}
	f.n -= len(p)
	return len(p), nil
}

func TestQueuedWriterReportsWriteError(t *testing.T) {
	q := newQueuedWriter(&failAfter{n: 3 << 10}, 1<<10, 2)
	var werr error
	for range 100 {
		if _, werr = q.Write(make([]byte, 1<<10)); werr != nil {
			break
		}
	}
	if err := q.Close(); !errors.Is(err, errDiskFull) {
		t.Fatalf("Close: %v, want the write error", err)
	}
	if werr != nil && !errors.Is(werr, errDiskFull) {
		t.Fatalf("Write: %v, want the write error", werr)
	}
	if err := q.Close(); !errors.Is(err, errDiskFull) {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := q.Write([]byte("x")); !errors.Is(err, errDiskFull) {
		t.Fatalf("Write after a failed write: %v", err)
	}
}
