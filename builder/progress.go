package builder

import (
	"fmt"
	"strings"
	"time"
)

// Progress receives build events; the CLI renders them. Calls may come from
// several goroutines (stages build in parallel).
type Progress interface {
	Step(StepReport)
}

// Status is where a step is.
type Status string

const (
	StatusStarted Status = "started" // a step that needs work has begun
	StatusCached  Status = "cached"  // reused from the cache
	StatusDone    Status = "done"    // built
)

// StepReport describes one step of one stage.
type StepReport struct {
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

func (r StepReport) String() string {
	s := fmt.Sprintf("[%s %s] %s:%d %s", r.Platform, r.Stage, r.File, r.Line, oneLine(r.Instruction))
	switch r.Status {
	case StatusCached:
		s += " (cached)"
	case StatusDone:
		if r.Reason != "" {
			s += " (" + r.Reason + ")"
		}
	}
	return s
}

// oneLine shortens an instruction for logs and errors, with any password
// in a URL masked: CI logs are often public.
func oneLine(s string) string {
	s = redactURL(strings.Join(strings.Fields(s), " "))
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

type discardProgress struct{}

func (discardProgress) Step(StepReport) {}
