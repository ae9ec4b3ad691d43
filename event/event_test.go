package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// JSON events follow the CLI's JSON convention: snake_case keys, an
// "event" kind, durations in seconds.
func TestJSONConvention(t *testing.T) {
	var buf bytes.Buffer
	j := NewJSON(&buf)
	j.Emit(Step{Platform: "linux/amd64", Stage: "build", File: "Dockerfile", Line: 5, Instruction: "RUN make", Status: StatusDone, Duration: 1500 * time.Millisecond})
	j.Emit(Phase{Image: "app", Step: "push", Done: true, Err: errors.New("denied"), Duration: 2 * time.Second})
	j.Emit(Retry{Registry: "r.example", Request: "blob upload", Attempt: 1, Wait: 500 * time.Millisecond, Reason: "503"})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), buf.String())
	}
	want := []map[string]any{
		{"event": "step", "platform": "linux/amd64", "stage": "build", "file": "Dockerfile", "line": 5.0, "instruction": "RUN make", "status": "done", "duration_seconds": 1.5},
		{"event": "phase", "image": "app", "step": "push", "status": "failed", "error": "denied", "duration_seconds": 2.0},
		{"event": "retry", "registry": "r.example", "request": "blob upload", "attempt": 1.0, "wait_seconds": 0.5, "reason": "503", "gave_up": false},
	}
	for i, l := range lines {
		var got map[string]any
		if err := json.Unmarshal([]byte(l), &got); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want[i]) {
			t.Errorf("line %d = %s; want keys %v", i, l, want[i])
		}
		for k, v := range want[i] {
			if got[k] != v {
				t.Errorf("line %d: %s = %v, want %v (%s)", i, k, got[k], v, l)
			}
		}
	}
}

// Colors mark failures on a terminal, and never with color off (NO_COLOR).
func TestTTYColorOnlyWhenAsked(t *testing.T) {
	for _, color := range []bool{true, false} {
		var buf lockedBuffer
		tty := NewTTY(&buf, color)
		tty.Emit(Phase{Step: "push", Image: "app"})
		tty.Emit(Phase{Step: "push", Image: "app", Done: true, Err: errors.New("denied")})
		tty.Emit(Warning{Message: "unused build arg"})
		tty.Close()
		if got := strings.Contains(buf.String(), "\x1b[31m"); got != color {
			t.Errorf("color %v: red in %q = %v", color, buf.String(), got)
		}
		if !strings.Contains(buf.String(), "FAILED") {
			t.Errorf("no FAILED in %q", buf.String())
		}
	}
}

// Plain output has no escape sequences at all: CI logs and TERM=dumb.
func TestPlainHasNoEscapes(t *testing.T) {
	var buf bytes.Buffer
	p := NewPlain(&buf)
	p.Emit(Step{Stage: "build", Instruction: "RUN make", Status: StatusStarted})
	p.Emit(Step{Stage: "build", Instruction: "RUN make", Status: StatusCached})
	p.Emit(Phase{Step: "push", Done: true, Err: errors.New("denied")})
	if strings.Contains(buf.String(), "\x1b") {
		t.Errorf("escape sequence in plain output %q", buf.String())
	}
	if !strings.Contains(buf.String(), "=> [ build] :0 RUN make\n") || !strings.Contains(buf.String(), "push FAILED") {
		t.Errorf("plain output = %q", buf.String())
	}
}

func TestRecorder(t *testing.T) {
	r := &Recorder{}
	r.Emit(Phase{Step: "build"})
	r.Emit(Step{Line: 3})
	if s := r.Steps(); len(s) != 1 || s[0].Line != 3 || len(r.Events()) != 2 || len(Of[Phase](r)) != 1 {
		t.Errorf("recorded %v", r.Events())
	}
}

// The events of a release's last steps render as lines and JSON alike.
func TestReleaseEventsRender(t *testing.T) {
	var plain, js bytes.Buffer
	for _, s := range []Sink{NewPlain(&plain), NewJSON(&js)} {
		s.Emit(Signed{Image: "app", Ref: "r.example/app@sha256:ab", Format: "legacy"})
		s.Emit(Attested{Image: "app", Ref: "r.example/app@sha256:ab", PredicateType: "https://slsa.dev/provenance/v1"})
		s.Emit(TagMoved{Image: "app", Ref: "r.example/app:1.0.0", Digest: "sha256:ab"})
	}
	for _, want := range []string{"signed r.example/app@sha256:ab (legacy)", "attested r.example/app@sha256:ab (https://slsa.dev/provenance/v1)", "tag r.example/app:1.0.0 → sha256:ab"} {
		if !strings.Contains(plain.String(), want) {
			t.Errorf("plain output lacks %q:\n%s", want, plain.String())
		}
	}
	for _, want := range []string{`"event":"signed"`, `"event":"attested"`, `"predicate_type":"https://slsa.dev/provenance/v1"`, `"event":"tag_moved"`} {
		if !strings.Contains(js.String(), want) {
			t.Errorf("JSON lacks %s:\n%s", want, js.String())
		}
	}
}
