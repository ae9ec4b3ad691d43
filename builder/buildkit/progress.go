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
)

// progress turns BuildKit's solve status into stevedore's step reports:
// a vertex starting is a started step, a vertex completing is a done (or
// cached) one; RUN output goes to the build's output writer.
type progress struct {
	req      builder.Request
	lines    map[string]int // "stage\x00instruction" → Dockerfile line
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
	re   *regexp.Regexp
	line int
}

var variable = regexp.MustCompile(`\\\$\\\{[^}]*\\\}|\\\$[A-Za-z_][A-Za-z0-9_]*`)

// instructionLines indexes the Dockerfile's instructions by stage and text,
// so BuildKit's vertex names ("[build 2/3] RUN make") get their line back.
// A Dockerfile stevedore cannot parse only loses the lines: the daemon
// reports its own errors.
func instructionLines(file string) (map[string]int, map[string][]linePattern) {
	out, pats := map[string]int{}, map[string][]linePattern{}
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
		out[st.DisplayName()+"\x00FROM"] = st.Line
		for _, in := range st.Instructions {
			src := oneLine(in.Source)
			out[st.DisplayName()+"\x00"+src] = in.Line
			if re, err := regexp.Compile("^" + variable.ReplaceAllString(regexp.QuoteMeta(src), ".*") + "$"); err == nil {
				pats[st.DisplayName()] = append(pats[st.DisplayName()], linePattern{re: re, line: in.Line})
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
	r := p.report(v.Name)
	if v.Completed == nil {
		if !p.started[v.Digest] && !v.Cached {
			p.started[v.Digest] = true
			r.Status = builder.StatusStarted
			p.send(r, false)
		}
		return
	}
	p.finished[v.Digest] = true
	r.Status = builder.StatusDone
	switch {
	case v.Cached:
		r.Status = builder.StatusCached
	case v.Error != "":
		r.Reason = "failed: " + v.Error
	}
	if v.Started != nil {
		r.Duration = v.Completed.Sub(*v.Started)
	}
	p.send(r, true)
}

func (p *progress) send(r builder.StepReport, done bool) {
	if done {
		p.res.Steps = append(p.res.Steps, r)
	}
	if p.req.Progress != nil {
		p.req.Progress.Step(r)
	}
}

// vertexName splits BuildKit's "[linux/arm64 build 2/3] RUN make" into its
// platform, stage and instruction.
var (
	vertexName  = regexp.MustCompile(`^\[([^\]]*)\]\s*(.*)$`)
	stepCounter = regexp.MustCompile(`^\d+/\d+$`)
)

func (p *progress) report(name string) builder.StepReport {
	r := builder.StepReport{Platform: platformOf(p.req.Platforms), File: filepath.Base(p.req.Dockerfile), Instruction: name}
	m := vertexName.FindStringSubmatch(name)
	if m == nil {
		r.Stage = "buildkit"
		return r
	}
	r.Instruction = m[2]
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
	key := r.Stage + "\x00" + oneLine(r.Instruction)
	if strings.HasPrefix(r.Instruction, "FROM ") {
		key = r.Stage + "\x00FROM"
	}
	r.Line = p.lines[key]
	if r.Line == 0 {
		for _, lp := range p.patterns[r.Stage] {
			if lp.re.MatchString(oneLine(r.Instruction)) {
				r.Line = lp.line
				break
			}
		}
	}
	return r
}
