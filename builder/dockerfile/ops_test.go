package dockerfile

import (
	"fmt"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// stepsOf applies the target stage of a testdata file on scratch and
// returns every step.
func stepsOf(t *testing.T, file string, opts PlanOptions) (*State, []Step) {
	t.Helper()
	g, err := planFile(t, file, opts)
	if err != nil {
		t.Fatal(err)
	}
	st, err := g.NewState(g.Target, &v1.ConfigFile{})
	if err != nil {
		t.Fatal(err)
	}
	var steps []Step
	for _, in := range g.Stage(g.Target).Instructions {
		step, err := st.Apply(in)
		if err != nil {
			t.Fatal(err)
		}
		steps = append(steps, step)
	}
	return st, steps
}

func TestHeredocs(t *testing.T) {
	_, steps := stepsOf(t, "heredoc", PlanOptions{BuildArgs: map[string]string{"NAME": "you"}})
	tests := []struct {
		step int
		got  func(Step) string
		want string
	}{
		// A command that is only a heredoc runs the body with the shell.
		{1, func(s Step) string { return fmt.Sprintf("%q", s.Run.Args) }, `["/bin/sh" "-c" "echo \"hello $NAME\" > /greeting\n"]`},
		{1, func(s Step) string { return s.History.CreatedBy }, "RUN |1 NAME=you /bin/sh -c echo \"hello $NAME\" > /greeting\n # buildkit"},
		// <<- strips tabs; a #! body becomes a file run from /dev/pipes.
		{2, func(s Step) string {
			f := s.Run.Files[0]
			return fmt.Sprintf("%q %s %q %o", s.Run.Args, f.Name, f.Data, f.Mode)
		}, `["/bin/sh" "-c" "/dev/pipes/SCRIPT"] SCRIPT "#!/bin/sh\necho from a script\n" 755`},
		// Heredocs inside a command: the shell gets the whole text.
		{3, func(s Step) string { return s.Run.Args[2] }, "cat <<A > /a && cat <<B > /b\nfirst\nA\nsecond\nB"},
		// COPY heredoc: unquoted word expands, quoted does not.
		{4, func(s Step) string {
			f := s.Copy.Inline[0]
			return fmt.Sprintf("%s %q %o %s", f.Name, f.Data, f.Mode, s.Copy.Dest)
		}, `EOF "Hello, you!\n" 644 /etc/motd`},
		{4, func(s Step) string { return s.History.CreatedBy }, "COPY <<EOF /etc/motd # buildkit"},
		{5, func(s Step) string { return s.Copy.Inline[0].Data }, "kept ${NAME}\n"},
	}
	for _, tt := range tests {
		if got := tt.got(steps[tt.step]); got != tt.want {
			t.Errorf("step %d:\n got  %s\n want %s", tt.step, got, tt.want)
		}
	}
}

func TestRunAndCopyOps(t *testing.T) {
	_, steps := stepsOf(t, "forms", PlanOptions{BuildArgs: map[string]string{"https_proxy": "http://proxy:3128"}})
	tests := []struct {
		step int
		got  func(Step) string
		want string
	}{
		{1, func(s Step) string { return fmt.Sprintf("%q", s.Run.Args) }, `["/bin/bash" "-c" "echo shell form"]`},
		{2, func(s Step) string { return fmt.Sprintf("%q", s.Run.Args) }, `["/bin/echo" "exec form"]`},
		{2, func(s Step) string { return s.History.CreatedBy }, "RUN /bin/echo exec form # buildkit"},
		// Not valid JSON: docker falls back to the shell form.
		{5, func(s Step) string { return fmt.Sprintf("%q", s.Run.Args) }, `["/bin/bash" "-c" "[ \"not\", \"json\""]`},
		{2, func(s Step) string { return fmt.Sprintf("%v %s %s", s.Run.ProxyEnv, s.Run.Network, s.Run.Security) }, "[https_proxy=http://proxy:3128] default sandbox"},
		{7, func(s Step) string {
			c := s.Copy
			return fmt.Sprintf("%v %v %s %s", c.Add, c.Sources, c.Dest, c.Checksum)
		}, "true [https://example.com/a.tar.gz] /a/ sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d"},
		{8, func(s Step) string {
			c := s.Copy
			return fmt.Sprintf("%v %v %v %v %s", c.Link, c.Parents, c.Exclude, c.Sources, c.Dest)
		}, "true true [*.tmp] [src/] /dst/"},
		{8, func(s Step) string { return s.History.CreatedBy }, "COPY --parents src/ /dst/ # buildkit"},
		{9, func(s Step) string { return s.Run.Network + " " + s.Run.Security }, "none insecure"},
	}
	for _, tt := range tests {
		if got := tt.got(steps[tt.step]); got != tt.want {
			t.Errorf("step %d:\n got  %s\n want %s", tt.step, got, tt.want)
		}
	}
	// The proxy value never reaches history or config.
	for _, s := range steps {
		if s.History != nil && strings.Contains(s.History.CreatedBy, "proxy:3128") {
			t.Errorf("proxy leaked into history: %s", s.History.CreatedBy)
		}
	}
}

func TestMounts(t *testing.T) {
	g, err := planFile(t, "go-two-stage", PlanOptions{Target: "build"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := g.NewState(0, &v1.ConfigFile{})
	if err != nil {
		t.Fatal(err)
	}
	var runs []*RunOp
	for _, in := range g.Stage(0).Instructions {
		step, err := st.Apply(in)
		if err != nil {
			t.Fatal(err)
		}
		if step.Run != nil {
			runs = append(runs, step.Run)
		}
	}
	m := runs[0].Mounts[0]
	if m.Type != "cache" || m.Target != "/root/go/pkg/mod" || m.CacheID != "gomod" || m.Sharing != "locked" {
		t.Errorf("cache mount = %+v", m)
	}
	s := runs[1].Mounts[1]
	if s.Type != "secret" || s.CacheID != "netrc" || s.Target != "/root/.netrc" || !s.Required {
		t.Errorf("secret mount = %+v", s)
	}
	if runs[1].Dir != "/src" {
		t.Errorf("dir = %s", runs[1].Dir)
	}

	// A bind mount from another stage resolves to that stage.
	_, steps := stepsOf(t, "diamond", PlanOptions{})
	b := steps[1].Run.Mounts[0]
	if b.Type != "bind" || b.From != "right" || b.FromRef == nil || b.FromRef.Kind != FromStage || b.FromRef.Stage != 2 || !b.ReadOnly {
		t.Errorf("bind mount = %+v (from %+v)", b, b.FromRef)
	}
	if c := steps[2].Copy; c.FromRef == nil || c.FromRef.Kind != FromImage || c.FromRef.Ref != "busybox:1.36" {
		t.Errorf("COPY --from image = %+v", c.FromRef)
	}
}

func TestCopyDest(t *testing.T) {
	tests := []struct{ wd, dest, os, want string }{
		{"/", "app", "linux", "/app"},
		{"/src", "./", "linux", "/src/"},
		{"/src", ".", "linux", "/src/"},
		{"/src", "bin/", "linux", "/src/bin/"},
		// BuildKit leaves an absolute destination as written; the copy
		// itself resolves the "..".
		{"/src", "/abs/../x", "linux", "/abs/../x"},
		{"C:\\app", "C:\\app\\", "windows", "/app/"},
		{"C:\\app", "sub", "windows", "/app/sub"},
	}
	for _, tt := range tests {
		got, err := copyDest(tt.wd, tt.dest, tt.os)
		if err != nil || got != tt.want {
			t.Errorf("copyDest(%q, %q, %s) = %q, %v; want %q", tt.wd, tt.dest, tt.os, got, err, tt.want)
		}
	}
}

func TestEscapeDirectiveOnWindows(t *testing.T) {
	win := v1.Platform{OS: "windows", Architecture: "amd64"}
	st, steps := stepsOf(t, "escape-backtick", PlanOptions{BuildPlatform: win})
	// BuildKit drops the system drive and keeps Windows separators in the
	// config.
	if st.Config.WorkingDir != "\\app" || steps[0].History.CreatedBy != "WORKDIR /app" {
		t.Errorf("workdir = %q, history %q", st.Config.WorkingDir, steps[0].History.CreatedBy)
	}
	// The backtick continues the line and escapes $.
	if got := fmt.Sprintf("%q", steps[2].Run.Args); got != `["cmd" "/S" "/C" "dir     /s"]` {
		t.Errorf("RUN args = %s", got)
	}
	if got := st.Config.Env; fmt.Sprint(got) != "[GREETING=hello $NAME]" {
		t.Errorf("env = %v (no default PATH on Windows)", got)
	}
	if got := steps[1].Copy.Dest; got != "/app/" {
		t.Errorf("COPY dest = %q", got)
	}
}
