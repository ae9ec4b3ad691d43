package layer

import (
	"errors"
	"io"
	"sync"
)

// queuedWriter hands what is written to w in chunks on its own goroutine,
// through a bounded queue: the tar, gzip and hashing in front of it keep
// going while a busy disk holds up one write, until depth chunks wait.
// (pgzip alone keeps only as many blocks in flight as there are cores, so
// each slow write would stop the compressors.) It buffers like a
// bufio.Writer of chunk bytes; Close writes the rest and reports the
// first write error.
type queuedWriter struct {
	w      io.Writer
	chunk  int
	cur    []byte
	full   chan []byte
	free   chan []byte
	done   chan struct{}
	mu     sync.Mutex
	err    error
	closed bool
}

func newQueuedWriter(w io.Writer, chunk, depth int) *queuedWriter {
	q := &queuedWriter{
		w:     w,
		chunk: chunk,
		full:  make(chan []byte, depth),
		free:  make(chan []byte, depth+1),
		done:  make(chan struct{}),
	}
	for range depth + 1 {
		q.free <- nil // buffers are made on first use
	}
	go q.drain()
	q.cur = q.take()
	return q
}

func (q *queuedWriter) drain() {
	defer close(q.done)
	for b := range q.full {
		if q.error() == nil {
			if _, err := q.w.Write(b); err != nil {
				q.mu.Lock()
				q.err = err
				q.mu.Unlock()
			}
		}
		q.free <- b[:0]
	}
}

func (q *queuedWriter) error() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.err
}

func (q *queuedWriter) take() []byte {
	b := <-q.free
	if b == nil {
		b = make([]byte, 0, q.chunk)
	}
	return b
}

func (q *queuedWriter) Write(p []byte) (int, error) {
	if err := q.error(); err != nil {
		return 0, err
	}
	if q.closed {
		return 0, errors.New("writing layer: already closed")
	}
	n := 0
	for len(p) > 0 {
		c := copy(q.cur[len(q.cur):cap(q.cur)], p)
		q.cur = q.cur[:len(q.cur)+c]
		p, n = p[c:], n+c
		if len(q.cur) == cap(q.cur) {
			q.full <- q.cur
			q.cur = q.take()
		}
	}
	return n, nil
}

// Close writes what is buffered, waits for the queue to drain and returns
// the first error writing to w. Later calls return the same.
func (q *queuedWriter) Close() error {
	if !q.closed {
		q.closed = true
		if len(q.cur) > 0 {
			q.full <- q.cur
		}
		close(q.full)
		<-q.done
	}
	return q.error()
}
