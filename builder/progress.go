package builder

import (
	"strings"

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
