package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/sreevishnu07/stevedore/builder"
)

// Rendering of build progress: plain lines, a live terminal status line, or
// JSON events.

// jsonProgress prints each step event as one JSON object per line.
type jsonProgress struct {
	mu  sync.Mutex
	enc *json.Encoder
}

// stepPrinter prints one line per finished or started step; on a terminal
// (live set) the running step is a status line with its elapsed time.
type stepPrinter struct {
	mu   sync.Mutex
	w    io.Writer
	live *liveLine
}

// prefixWriter indents RUN output under its step.
func prefixWriter(w io.Writer) io.Writer { return &linePrefixer{w: w, prefix: "   | "} }

type linePrefixer struct {
	mu      sync.Mutex
	w       io.Writer
	prefix  string
	midLine bool
}

func (p *jsonProgress) Step(r builder.StepReport) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.enc.Encode(r)
}

func (p *stepPrinter) Step(r builder.StepReport) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live != nil {
		switch r.Status {
		case builder.StatusStarted:
			p.live.Start(r.String())
		case builder.StatusCached:
			p.live.Done("   " + r.String())
		default:
			p.live.Done(fmt.Sprintf("   %s %.1fs", r, r.Duration.Seconds()))
		}
		return
	}
	switch r.Status {
	case builder.StatusStarted:
		// Only RUN prints output worth a heading; the rest are quick.
		if strings.HasPrefix(strings.ToUpper(r.Instruction), "RUN") {
			fmt.Fprintf(p.w, "=> %s\n", r)
		}
	case builder.StatusCached:
		fmt.Fprintf(p.w, "   %s\n", r)
	default:
		fmt.Fprintf(p.w, "   %s %.1fs\n", r, r.Duration.Seconds())
	}
}

func (l *linePrefixer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, c := range string(p) {
		if !l.midLine {
			b.WriteString(l.prefix)
			l.midLine = true
		}
		b.WriteRune(c)
		if c == '\n' {
			l.midLine = false
		}
	}
	if _, err := io.WriteString(l.w, b.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}
