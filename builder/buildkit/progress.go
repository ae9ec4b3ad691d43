package buildkit

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/builder/dockerfile"
	"github.com/sreevishnu07/stevedore/event"
)

// progress turns BuildKit's solve status into the step events the
// embedded builder emits: a vertex of a Dockerfile instruction starting is
// a started step, completing a done (or cached) one, named by the
// instruction as written. BuildKit's own vertices (loading the definition
// and context, FROM's metadata, the export) are not steps of the
// Dockerfile and emit none, as the embedded builder emits none for them.
// RUN output goes to the build's output writer.
type progress struct {
	req      builder.Request
	lines    map[string]instruction // "stage\x00instruction" → where it is written
	patterns map[string][]linePattern
	res      *builder.Result
	started  map[digest.Digest]bool
	finished map[digest.Digest]bool
	warnings []string
	checks   []*client.VertexWarning // the build checks' warnings
}

func newProgress(req builder.Request, res *builder.Result) *progress {
	p := &progress{req: req, res: res, started: map[digest.Digest]bool{}, finished: map[digest.Digest]bool{}}
	p.lines, p.patterns = instructionLines(req.Dockerfile)
	return p
}

// linePattern matches an instruction as BuildKit names it, with its
// variables expanded: each $VAR or ${VAR} stands for any text.
type linePattern struct {
	re *regexp.Regexp
	instruction
}

// instruction is a Dockerfile instruction's line and text as written.
type instruction struct {
	line   int
	source string
}

var variable = regexp.MustCompile(`\\\$\\\{[^}]*\\\}|\\\$[A-Za-z_][A-Za-z0-9_]*`)

// instructionLines indexes the Dockerfile's instructions by stage and text,
// so BuildKit's vertex names ("[build 2/3] RUN make") get their line back.
// A Dockerfile stevedore cannot parse only loses the lines: the daemon
// reports its own errors.
func instructionLines(file string) (map[string]instruction, map[string][]linePattern) {
	out, pats := map[string]instruction{}, map[string][]linePattern{}
	f, err := os.Open(file)
	if err != nil {
		return out, pats
	}
	defer f.Close()
	df, err := dockerfile.Parse(f, filepath.Base(file))
	if err != nil {
		return out, pats
	}
	for _, st := range df.Stages {
		for _, in := range st.Instructions {
			src := oneLine(in.Source)
			ins := instruction{line: in.Line, source: in.Source}
			out[st.DisplayName()+"\x00"+src] = ins
			if re, err := regexp.Compile("^" + variable.ReplaceAllString(regexp.QuoteMeta(src), ".*") + "$"); err == nil {
				pats[st.DisplayName()] = append(pats[st.DisplayName()], linePattern{re: re, instruction: ins})
			}
		}
	}
	return out, pats
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// consume reads the status channel until Solve closes it.
func (p *progress) consume(ch <-chan *client.SolveStatus) {
	for s := range ch {
		for _, v := range s.Vertexes {
			p.vertex(v)
		}
		for _, l := range s.Logs {
			if p.req.Output != nil {
				_, _ = p.req.Output.Write(l.Data)
			}
		}
		for _, w := range s.Warnings {
			if isCheck(w) {
				p.checks = append(p.checks, w)
				continue
			}
			p.warnings = append(p.warnings, strings.TrimSpace(string(w.Short)))
		}
	}
}

func (p *progress) vertex(v *client.Vertex) {
	if p.finished[v.Digest] || v.Started == nil && !v.Cached {
		return
	}
	r, ok := p.report(v.Name)
	if !ok {
		return
	}
	if v.Completed == nil {
		if !p.started[v.Digest] && !v.Cached {
			p.started[v.Digest] = true
			r.Status = event.StatusStarted
			p.send(r, false)
		}
		return
	}
	p.finished[v.Digest] = true
	r.Status = event.StatusDone
	switch {
	case v.Cached:
		r.Status = event.StatusCached
	case v.Error != "":
		r.Reason = "failed: " + v.Error
	}
	if v.Started != nil {
		r.Duration = v.Completed.Sub(*v.Started)
	}
	p.send(r, true)
}

func (p *progress) send(r event.Step, done bool) {
	if done {
		p.res.Steps = append(p.res.Steps, r)
	}
	if p.req.Progress != nil {
		p.req.Progress.Emit(r)
	}
}

// vertexName splits BuildKit's "[linux/arm64 build 2/3] RUN make" into its
// platform, stage and instruction.
var (
	vertexName  = regexp.MustCompile(`^\[([^\]]*)\]\s*(.*)$`)
	stepCounter = regexp.MustCompile(`^\d+/\d+$`)
)

// report is the step a vertex is, when it is one of the Dockerfile's
// instructions.
func (p *progress) report(name string) (event.Step, bool) {
	r := event.Step{Platform: platformOf(p.req.Platforms), File: p.req.Dockerfile}
	m := vertexName.FindStringSubmatch(name)
	if m == nil {
		return r, false
	}
	f := strings.Fields(m[1])
	if len(f) >= 3 && strings.Contains(f[0], "/") {
		r.Platform, f = f[0], f[1:]
	}
	if len(f) >= 1 && stepCounter.MatchString(f[len(f)-1]) {
		f = f[:len(f)-1]
		if len(f) == 0 {
			f = []string{"stage-0"} // a one-stage Dockerfile: BuildKit names no stage
		}
	}
	r.Stage = strings.Join(f, " ")
	ran := oneLine(m[2])
	in, ok := p.lines[r.Stage+"\x00"+ran]
	if !ok {
		for _, lp := range p.patterns[r.Stage] {
			if lp.re.MatchString(ran) {
				in, ok = lp.instruction, true
				break
			}
		}
	}
	if !ok {
		return r, false
	}
	r.Line, r.Instruction = in.line, builder.RedactURL(in.source)
	return r, true
}
