package builder

import (
	"strings"
	"sync"

	"github.com/sreevishnu07/stevedore/event"
)

// StepReport is a build step's event. It is event.Step: the embedded
// builder and BuildKit daemons report the same events.
type StepReport = event.Step

// Status is where a step is (event.Status).
type Status = event.Status

const (
	StatusStarted = event.StatusStarted
	StatusCached  = event.StatusCached
	StatusDone    = event.StatusDone
)

// RedactURL masks any password in a URL of an instruction: step events
// reach CI logs, which are often public.
func RedactURL(s string) string { return redactURL(s) }

// oneLine shortens an instruction for logs and errors, with any password
// in a URL masked: CI logs are often public.
func oneLine(s string) string {
	s = redactURL(strings.Join(strings.Fields(s), " "))
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

// recorder collects what a build reports into its Result and passes step
// events on. Every part that reports shares it; parts only ever add.
type recorder struct {
	mu       sync.Mutex
	res      *Result
	progress event.Sink
}

func (r *recorder) warn(w string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Warnings = append(r.res.Warnings, w)
}

func (r *recorder) base(b Base) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Bases = append(r.res.Bases, b)
}

// step emits a step's event; the result keeps those of steps that ended.
func (r *recorder) step(rep StepReport) {
	r.progress.Emit(rep)
	if rep.Status == StatusStarted {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Steps = append(r.res.Steps, rep)
}
