// Package event is the one model of what a long command is doing: a build
// step, a release phase, a registry retry, a tag moved, a signature or an
// attestation made, a warning or a notice. Packages emit events into a
// [Sink]; the CLI picks a renderer (a live terminal, plain CI lines or JSON
// lines) and tests a [Recorder].
package event

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// Event is one of the types below.
type Event interface{ kind() string }

// Sink receives events. Emit may be called from several goroutines at once
// (stages build in parallel, images push together).
type Sink interface{ Emit(Event) }

// SinkFunc is a function as a Sink.
type SinkFunc func(Event)

func (f SinkFunc) Emit(e Event) { f(e) }

// Discard drops every event.
var Discard Sink = SinkFunc(func(Event) {})

// Status is where a build step is.
type Status string

const (
	StatusStarted Status = "started" // a step that needs work has begun
	StatusCached  Status = "cached"  // reused from the cache
	StatusDone    Status = "done"    // built
)

// Step is one Dockerfile instruction of one stage and platform, from either
// builder (the embedded one or a BuildKit daemon).
type Step struct {
	Platform    string
	Stage       string
	File        string
	Line        int
	Instruction string // as written, continuations joined
	Status      Status
	// Reason says why the cache missed, for built steps that make a layer.
	Reason   string
	Duration time.Duration
	// Layer is the step's layer digest, when it makes one.
	Layer string
}

// Phase is one step of a release (plan, build, push, sbom, sign, …) of one
// image, or of the whole release when Image is empty, starting or ending.
type Phase struct {
	Image    string
	Step     string
	Done     bool
	Err      error
	Duration time.Duration
	Detail   string
}

// Warning is a non-fatal complaint (an unused build argument, …).
type Warning struct{ Message string }

// Notice is about this machine rather than the release (a key was made, …).
type Notice struct{ Message string }

// Retry is one retry, wait or give-up on a registry request, so a waiting
// command is never silent.
type Retry struct {
	Registry string        // host[:port]
	Request  string        // kind of request: "blob upload", "manifest upload", …
	Attempt  int           // 1-based attempt that failed
	Wait     time.Duration // before the next attempt (or asked for, on a give-up)
	Reason   string        // status or error that caused it
	GaveUp   bool          // no further attempt follows
}

// TagMoved is a tag now naming a digest.
type TagMoved struct {
	Image  string
	Ref    string // repository:tag
	Digest string
}

// Signed is a signature made (or found already made) for a digest.
type Signed struct {
	Image  string
	Ref    string // repository@digest
	Format string // legacy or bundle
}

// Attested is an attestation made for a digest.
type Attested struct {
	Image         string
	Ref           string // repository@digest
	PredicateType string
}

func (Step) kind() string     { return "step" }
func (Phase) kind() string    { return "phase" }
func (Warning) kind() string  { return "warning" }
func (Notice) kind() string   { return "notice" }
func (Retry) kind() string    { return "retry" }
func (TagMoved) kind() string { return "tag_moved" }
func (Signed) kind() string   { return "signed" }
func (Attested) kind() string { return "attested" }

func (s Step) String() string {
	out := fmt.Sprintf("[%s %s] %s:%d %s", s.Platform, s.Stage, s.File, s.Line, OneLine(s.Instruction))
	switch s.Status {
	case StatusCached:
		out += " (cached)"
	case StatusDone:
		if s.Reason != "" {
			out += " (" + s.Reason + ")"
		}
	}
	return out
}

func (e Retry) String() string {
	if e.GaveUp {
		if e.Wait > 0 {
			return fmt.Sprintf("%s: %s: giving up after attempt %d (%s; asked to wait %s)", e.Registry, e.Request, e.Attempt, e.Reason, e.Wait.Round(time.Second))
		}
		return fmt.Sprintf("%s: %s: giving up after attempt %d (%s)", e.Registry, e.Request, e.Attempt, e.Reason)
	}
	return fmt.Sprintf("%s: %s: attempt %d failed (%s); retrying in %s", e.Registry, e.Request, e.Attempt, e.Reason, e.Wait.Round(time.Millisecond))
}

// label names a phase: its step, then its image.
func (p Phase) label() string {
	if p.Image != "" {
		return p.Step + " " + p.Image
	}
	return p.Step
}

// OneLine joins an instruction's lines and shortens it for a log line.
func OneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

// Recorder keeps every event, for tests.
type Recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *Recorder) Emit(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// Events are the events received so far, in order.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// Steps are the build steps received so far, in order.
func (r *Recorder) Steps() []Step { return Of[Step](r) }

// Of are the events of type T received so far, in order.
func Of[T Event](r *Recorder) []T {
	var out []T
	for _, e := range r.Events() {
		if t, ok := e.(T); ok {
			out = append(out, t)
		}
	}
	return out
}
