package dockerfile

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// applyAll plans src, starts every stage on scratch (or its parent stage)
// and applies all instructions, returning each stage's state and history.
func applyAll(t *testing.T, src string, opts PlanOptions) (*Graph, map[int]*State, map[int][]string) {
	t.Helper()
	g, err := planFile(t, "inline:"+src, opts)
	if err != nil {
		t.Fatal(err)
	}
	states, hist := map[int]*State{}, map[int][]string{}
	for _, ps := range g.Stages {
		var st *State
		if ps.Base.Kind == FromStage {
			st, err = g.NewStateFromStage(ps.Index, states[ps.Base.Stage])
		} else {
			st, err = g.NewState(ps.Index, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range append(st.Triggers, ps.Instructions...) {
			step, err := st.Apply(in)
			if err != nil {
				t.Fatal(err)
			}
			if step.History != nil {
				hist[ps.Index] = append(hist[ps.Index], step.History.CreatedBy)
			}
		}
		states[ps.Index] = st
	}
	return g, states, hist
}

func TestApplyArgScope(t *testing.T) {
	src := `ARG VERSION=1.0
ARG ONLY_GLOBAL=g
FROM scratch AS a
ARG VERSION
ARG LOCAL=${VERSION}-local
ARG TARGETARCH
ARG OVERRIDE=default
RUN echo $VERSION $ONLY_GLOBAL
ENV ONLY_GLOBAL=${ONLY_GLOBAL:-unset}
FROM a AS b
RUN echo inherited
`
	_, states, hist := applyAll(t, src, PlanOptions{
		BuildArgs: map[string]string{"OVERRIDE": "cli"}, TargetPlatform: arm64,
	})
	want := []string{
		"ARG VERSION=1.0",
		"ARG LOCAL=1.0-local",
		"ARG TARGETARCH=arm64",
		"ARG OVERRIDE=cli",
		"RUN |4 VERSION=1.0 LOCAL=1.0-local TARGETARCH=arm64 OVERRIDE=cli /bin/sh -c echo $VERSION $ONLY_GLOBAL # buildkit",
		// A global ARG is not in a stage's scope unless declared there.
		"ENV ONLY_GLOBAL=unset",
	}
	if strings.Join(hist[0], "\n") != strings.Join(want, "\n") {
		t.Errorf("history:\n%s\nwant:\n%s", strings.Join(hist[0], "\n"), strings.Join(want, "\n"))
	}
	// A child stage inherits the parent's ARGs, as BuildKit does.
	if got := hist[1][0]; got != "RUN |4 VERSION=1.0 LOCAL=1.0-local TARGETARCH=arm64 OVERRIDE=cli /bin/sh -c echo inherited # buildkit" {
		t.Errorf("child RUN history = %q", got)
	}
	// ARGs reach RUN's environment but not the image config.
	if fmt.Sprint(states[0].Config.Env) != "[PATH="+defaultPathEnv+" ONLY_GLOBAL=unset]" {
		t.Errorf("config env = %v", states[0].Config.Env)
	}
	if v, _ := envList(states[0].Env()).Get("LOCAL"); v != "1.0-local" {
		t.Errorf("RUN env LOCAL = %q", v)
	}
}

func TestApplyConfig(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		check   func(s *State) string // returns the got value
		want    string
		history []string // full history, when given
	}{
		{
			name:  "WORKDIR relative to previous, / makes no layer",
			src:   "FROM scratch\nWORKDIR /\nENV D=app\nWORKDIR $D\nWORKDIR ../srv/./x\n",
			check: func(s *State) string { return s.Config.WorkingDir }, want: "/srv/x",
			history: []string{"WORKDIR /", "ENV D=app", "WORKDIR /app", "WORKDIR /srv/x"},
		},
		{
			name:  "CMD shell form wrapped in SHELL",
			src:   "FROM scratch\nSHELL [\"/bin/ash\", \"-eo\", \"pipefail\", \"-c\"]\nCMD run  --fast\n",
			check: func(s *State) string { return fmt.Sprintf("%q %v", s.Config.Cmd, s.Config.ArgsEscaped) },
			want:  `["/bin/ash" "-eo" "pipefail" "-c" "run  --fast"] true`,
		},
		{
			name:  "ENTRYPOINT keeps a CMD from the same stage",
			src:   "FROM scratch\nCMD [\"a\"]\nENTRYPOINT [\"e\"]\n",
			check: func(s *State) string { return fmt.Sprint(s.Config.Cmd, s.Config.Entrypoint) }, want: "[a] [e]",
		},
		{
			name:  "ENTRYPOINT resets an inherited CMD",
			src:   "FROM scratch AS p\nCMD [\"a\"]\nFROM p\nENTRYPOINT e\n",
			check: func(s *State) string { return fmt.Sprint(s.Config.Cmd, s.Config.Entrypoint) }, want: "[] [/bin/sh -c e]",
		},
		{
			name: "HEALTHCHECK durations and start interval",
			src:  "FROM scratch\nHEALTHCHECK --interval=1m30s --timeout=3s --start-period=2s --start-interval=500ms --retries=5 CMD true\n",
			check: func(s *State) string {
				h := s.Config.Healthcheck
				return fmt.Sprint(h.Test, h.Interval, h.Timeout, h.StartPeriod, h.Retries, s.HealthcheckStartInterval)
			},
			want: "[CMD-SHELL true] 1m30s 3s 2s 5 500ms",
		},
		{
			name:    "EXPOSE expands and normalizes",
			src:     "FROM scratch\nENV P=\"9000 9001/udp\"\nEXPOSE $P 1.2.3.4:80:8080/TCP\n",
			check:   func(s *State) string { return fmt.Sprint(s.Config.ExposedPorts) },
			want:    "map[8080/tcp:{} 9000/tcp:{} 9001/udp:{}]",
			history: []string{"ENV P=9000 9001/udp", "EXPOSE [9000/tcp 9001/udp 8080/tcp]"},
		},
		{
			name:    "ONBUILD stored, not in history",
			src:     "FROM scratch\nONBUILD RUN make\nONBUILD COPY <<EOF /x\nhi\nEOF\n",
			check:   func(s *State) string { return fmt.Sprintf("%q", s.Config.OnBuild) },
			want:    `["RUN make" "COPY <<EOF /x\nhi\nEOF"]`,
			history: []string{},
		},
		{
			name: "LABEL, USER, VOLUME, STOPSIGNAL, MAINTAINER expand",
			src:  "FROM scratch\nARG U=1000\nLABEL a=\"x y\" b=$U\nUSER ${U}:${G:-100}\nVOLUME /v/$U\nSTOPSIGNAL SIGRTMIN+3\nMAINTAINER me\n",
			check: func(s *State) string {
				return fmt.Sprintln(s.Config.Labels, s.Config.User, s.Config.Volumes, s.Config.StopSignal, s.Author)
			},
			want:    "map[a:x y b:1000] 1000:100 map[/v/1000:{}] SIGRTMIN+3 me\n",
			history: []string{"ARG U=1000", "LABEL a=x y b=1000", "USER 1000:100", "VOLUME [/v/1000]", "STOPSIGNAL SIGRTMIN+3", "MAINTAINER me"},
		},
		{
			name:  "ENV sees earlier ENV on the same line? no: docker expands against the state before it",
			src:   "FROM scratch\nENV A=1\nENV A=2 B=$A\n",
			check: func(s *State) string { return fmt.Sprint(s.Config.Env[1:]) }, want: "[A=2 B=1]",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, states, hist := applyAll(t, tt.src, PlanOptions{})
			st := states[g.Target]
			if got := tt.check(st); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
			if tt.history != nil && strings.Join(hist[g.Target], "\n") != strings.Join(tt.history, "\n") {
				t.Errorf("history:\n%s\nwant:\n%s", strings.Join(hist[g.Target], "\n"), strings.Join(tt.history, "\n"))
			}
		})
	}
}

func TestApplyErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"bad signal", "FROM scratch\n\nSTOPSIGNAL SIGNOPE\n", "applying Dockerfile:3: STOPSIGNAL: "},
		{"bad port", "FROM scratch\nEXPOSE 80/quic\n", `applying Dockerfile:2: EXPOSE: invalid port "80/quic": invalid proto: quic`},
		{"port range", "FROM scratch\nEXPOSE 90-80\n", "invalid port range"},
		{"bad expansion", "FROM scratch\nENV A=${B:?unset}\n", "applying Dockerfile:2: ENV: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := planFile(t, "inline:"+tt.src, PlanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			st, err := g.NewState(0, nil)
			if err != nil {
				t.Fatal(err)
			}
			var last error
			for _, in := range g.Stage(0).Instructions {
				if _, err := st.Apply(in); err != nil {
					last = err
				}
			}
			if last == nil || !strings.Contains(last.Error(), tt.want) || !errors.Is(last, ErrInvalid) {
				t.Errorf("error = %v, want ErrInvalid containing %q", last, tt.want)
			}
		})
	}
}
