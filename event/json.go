package event

import (
	"encoding/json"
	"io"
	"sync"
)

// JSON writes each event as one JSON object per line, in the CLI's JSON
// convention: snake_case keys, "event" naming the kind, durations in
// seconds.
type JSON struct {
	mu  sync.Mutex
	enc *json.Encoder
}

// NewJSON writes events to w.
func NewJSON(w io.Writer) *JSON { return &JSON{enc: json.NewEncoder(w)} }

func (j *JSON) Emit(e Event) {
	v := jsonOf(e)
	if v == nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	_ = j.enc.Encode(v)
}

type jsonStep struct {
	Event           string  `json:"event"`
	Platform        string  `json:"platform"`
	Stage           string  `json:"stage"`
	File            string  `json:"file"`
	Line            int     `json:"line"`
	Instruction     string  `json:"instruction"`
	Status          Status  `json:"status"`
	Reason          string  `json:"reason,omitempty"`
	DurationSeconds float64 `json:"duration_seconds"`
	Layer           string  `json:"layer,omitempty"`
}

type jsonPhase struct {
	Event           string  `json:"event"`
	Step            string  `json:"step"`
	Image           string  `json:"image,omitempty"`
	Status          string  `json:"status"` // started, done or failed
	Error           string  `json:"error,omitempty"`
	DurationSeconds float64 `json:"duration_seconds"`
	Detail          string  `json:"detail,omitempty"`
}

type jsonMessage struct {
	Event   string `json:"event"`
	Message string `json:"message"`
}

type jsonRetry struct {
	Event       string  `json:"event"`
	Registry    string  `json:"registry"`
	Request     string  `json:"request"`
	Attempt     int     `json:"attempt"`
	WaitSeconds float64 `json:"wait_seconds"`
	Reason      string  `json:"reason"`
	GaveUp      bool    `json:"gave_up"`
}

type jsonRef struct {
	Event         string `json:"event"`
	Image         string `json:"image,omitempty"`
	Ref           string `json:"ref"`
	Digest        string `json:"digest,omitempty"`
	Format        string `json:"format,omitempty"`
	PredicateType string `json:"predicate_type,omitempty"`
}

func jsonOf(e Event) any {
	switch e := e.(type) {
	case Step:
		return jsonStep{e.kind(), e.Platform, e.Stage, e.File, e.Line, e.Instruction, e.Status, e.Reason, e.Duration.Seconds(), e.Layer}
	case Phase:
		p := jsonPhase{Event: e.kind(), Step: e.Step, Image: e.Image, Status: "started", Detail: e.Detail}
		if e.Done {
			p.Status, p.DurationSeconds = "done", e.Duration.Seconds()
		}
		if e.Err != nil {
			p.Status, p.Error = "failed", e.Err.Error()
		}
		return p
	case Warning:
		return jsonMessage{e.kind(), e.Message}
	case Notice:
		return jsonMessage{e.kind(), e.Message}
	case Retry:
		return jsonRetry{e.kind(), e.Registry, e.Request, e.Attempt, e.Wait.Seconds(), e.Reason, e.GaveUp}
	case TagMoved:
		return jsonRef{Event: e.kind(), Image: e.Image, Ref: e.Ref, Digest: e.Digest}
	case Signed:
		return jsonRef{Event: e.kind(), Image: e.Image, Ref: e.Ref, Format: e.Format}
	case Attested:
		return jsonRef{Event: e.kind(), Image: e.Image, Ref: e.Ref, PredicateType: e.PredicateType}
	}
	return nil
}
