package event

import (
	"fmt"
	"io"
	"strings"
	"sync"
)

// Grouper folds a phase's lines into a collapsible group (GitHub Actions'
// ::group::).
type Grouper interface {
	Group(title string)
	EndGroup()
}

// Text renders events as lines for people: plain lines for CI logs, or on
// a terminal (NewTTY) a live status line with the running step's time.
type Text struct {
	mu      sync.Mutex
	w       io.Writer
	notices io.Writer
	live    *liveLine
	color   bool
	group   Grouper
}

// TextOption configures a Text renderer.
type TextOption func(*Text)

// WithNotices sends notices and warnings to w (default: the renderer's
// writer), so they stay out of a log that goes elsewhere.
func WithNotices(w io.Writer) TextOption { return func(t *Text) { t.notices = w } }

// WithGroups folds each release phase into a group.
func WithGroups(g Grouper) TextOption { return func(t *Text) { t.group = g } }

// NewPlain writes one line per event to w: a CI log, a pipe, TERM=dumb.
func NewPlain(w io.Writer, opts ...TextOption) *Text {
	t := &Text{w: w, notices: w}
	for _, o := range opts {
		o(t)
	}
	return t
}

// NewTTY keeps the running step as a status line at the bottom of the
// terminal w, redrawn with its elapsed time; color marks failures and
// warnings unless color is false (NO_COLOR). Close it when done.
func NewTTY(w io.Writer, color bool, opts ...TextOption) *Text {
	t := NewPlain(w, opts...)
	t.live = newLiveLine(w)
	t.w, t.color = t.live, color
	if t.notices == w {
		t.notices = t.live
	}
	return t
}

// Output is where a step's own output (RUN's) goes: indented under its
// step, above the status line.
func (t *Text) Output() io.Writer { return &linePrefixer{w: t.w, prefix: "   | "} }

// Close stops redrawing the status line and removes it.
func (t *Text) Close() {
	if t.live != nil {
		t.live.Close()
	}
}

const (
	red    = "\x1b[31m"
	yellow = "\x1b[33m"
	faint  = "\x1b[2m"
	reset  = "\x1b[0m"
)

func (t *Text) paint(code, s string) string {
	if !t.color {
		return s
	}
	return code + s + reset
}

func (t *Text) Emit(e Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch e := e.(type) {
	case Step:
		t.step(e)
	case Phase:
		t.phase(e)
	case Warning:
		t.line(t.notices, t.paint(yellow, "warning: ")+e.Message)
	case Notice:
		t.line(t.notices, "stevedore: "+e.Message)
	case Retry:
		t.line(t.w, "   "+e.String())
	case TagMoved:
		t.line(t.w, fmt.Sprintf("   tag %s → %s", e.Ref, e.Digest))
	case Signed:
		t.line(t.w, fmt.Sprintf("   signed %s (%s)", e.Ref, e.Format))
	case Attested:
		t.line(t.w, fmt.Sprintf("   attested %s (%s)", e.Ref, e.PredicateType))
	}
}

// line prints a finished line, above the status line on a terminal.
func (t *Text) line(w io.Writer, s string) {
	if t.live != nil {
		t.live.Done(s)
		return
	}
	fmt.Fprintln(w, s)
}

func (t *Text) step(s Step) {
	switch s.Status {
	case StatusStarted:
		if t.live != nil {
			t.live.Start(s.String())
			return
		}
		// Only RUN prints output worth a heading; the rest are quick.
		if strings.HasPrefix(strings.ToUpper(s.Instruction), "RUN") {
			t.line(t.w, "=> "+s.String())
		}
	case StatusCached:
		t.line(t.w, "   "+t.paint(faint, s.String()))
	default:
		t.line(t.w, fmt.Sprintf("   %s %.1fs", s, s.Duration.Seconds()))
	}
}

func (t *Text) phase(p Phase) {
	label := p.label()
	if !p.Done {
		switch {
		case t.live != nil:
			t.live.Start(label)
		default:
			if t.group != nil {
				t.group.Group(label)
			}
			fmt.Fprintf(t.w, "=> %s\n", label)
		}
		return
	}
	status := "done"
	if p.Err != nil {
		status = t.paint(red, "FAILED")
	}
	detail := ""
	if p.Detail != "" {
		detail = ": " + p.Detail
	}
	t.line(t.w, fmt.Sprintf("   %s %s in %.1fs%s", label, status, p.Duration.Seconds(), detail))
	if t.live == nil && t.group != nil {
		t.group.EndGroup()
	}
}

// linePrefixer indents each line written through it.
type linePrefixer struct {
	mu      sync.Mutex
	w       io.Writer
	prefix  string
	midLine bool
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
