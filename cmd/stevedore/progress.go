package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/publish"
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

// retryPrinter shows every registry retry, wait and give-up on stderr (a
// JSON line each with --json), so a waiting publish is never silent and
// stdout keeps only the result.
func retryPrinter(w io.Writer, asJSON bool) func(publish.RetryEvent) {
	var mu sync.Mutex
	return func(e publish.RetryEvent) {
		mu.Lock()
		defer mu.Unlock()
		writeRetry(w, e, asJSON)
	}
}

func writeRetry(w io.Writer, e publish.RetryEvent, asJSON bool) {
	if asJSON {
		// The CLI's JSON convention: durations in seconds.
		b, err := json.Marshal(struct {
			Event       string  `json:"event"`
			Registry    string  `json:"registry"`
			Request     string  `json:"request"`
			Attempt     int     `json:"attempt"`
			WaitSeconds float64 `json:"wait_seconds"`
			Reason      string  `json:"reason"`
			GaveUp      bool    `json:"gave_up"`
		}{"retry", e.Registry, e.Request, e.Attempt, e.Wait.Seconds(), e.Reason, e.GaveUp})
		if err == nil {
			fmt.Fprintln(w, string(b))
		}
		return
	}
	fmt.Fprintln(w, "stevedore: "+e.String())
}

// Retry shows a registry retry, wait or give-up of a release (a push, a
// base image pull, a signature upload) among its step lines, above the
// live status line on a terminal. With --json it is a JSON line on stderr,
// as publish prints it: stdout keeps only the plan and ledger, even in
// GitHub Actions where step lines go to stdout.
func (p *releaseProgress) Retry(e publish.RetryEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.jsonOut != nil {
		writeRetry(p.jsonOut, e, true)
		return
	}
	fmt.Fprintf(p.w, "   %s\n", e)
}
