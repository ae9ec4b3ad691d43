package buildkit

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/lint"

	"github.com/sreevishnu07/stevedore/builder"
	stlint "github.com/sreevishnu07/stevedore/builder/lint"
)

// Check implements builder.Checker: the daemon's dockerfile frontend runs
// its lint subrequest (frontend.lint), as `docker buildx build --check`
// asks it to, and nothing is built.
func (d *Driver) Check(ctx context.Context, req builder.Request) (*stlint.Report, error) {
	where := "builder " + d.addr.Raw
	_, opt, c, done, err := d.prepare(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("checking on %s: %w", where, err)
	}
	defer done()
	var results []byte
	build := func(ctx context.Context, gc gateway.Client) (*gateway.Result, error) {
		attrs := maps.Clone(gc.BuildOpts().Opts)
		attrs["requestid"] = lint.RequestLint
		res, err := gc.Solve(ctx, gateway.SolveRequest{Frontend: dockerfileFrontend, FrontendOpt: attrs})
		if err != nil {
			return nil, err
		}
		results = res.Metadata["result.json"]
		return nil, nil
	}
	status := make(chan *client.SolveStatus)
	go func() {
		for range status { // the lint's progress is not shown, as in buildx
		}
	}()
	if _, err := c.Build(ctx, opt, "stevedore", build, status); err != nil {
		return nil, fmt.Errorf("checking %s on %s: %w", req.Dockerfile, where, err)
	}
	if results == nil {
		return nil, fmt.Errorf("checking %s on %s: the daemon's dockerfile frontend returned no lint result (BuildKit v0.15 or later has one)", req.Dockerfile, where)
	}
	var lr lint.LintResults
	if err := json.Unmarshal(results, &lr); err != nil {
		return nil, fmt.Errorf("reading the lint result of %s: %w", where, err)
	}
	rep := stlint.FromResults(&lr)
	// The daemon knows the Dockerfile by its base name; findings name it
	// as the user did.
	for i := range rep.Findings {
		if rep.Findings[i].File == filepath.Base(req.Dockerfile) {
			rep.Findings[i].File = req.Dockerfile
		}
	}
	if rep.Error != nil && rep.Error.File == filepath.Base(req.Dockerfile) {
		rep.Error.File = req.Dockerfile
	}
	return rep, nil
}

// findings turns the warnings a build on the daemon printed into the build
// checks' findings. The frontend words them "RULE: MESSAGE (line N)".
func findings(ws []*client.VertexWarning, file string) []stlint.Finding {
	var fs []stlint.Finding
	for _, w := range ws {
		rule, msg, _ := strings.Cut(string(w.Short), ": ")
		f := stlint.Finding{Rule: rule, Message: msg, URL: w.URL, File: file}
		if len(w.Detail) > 0 {
			f.Description = string(w.Detail[0])
		}
		if len(w.Range) > 0 {
			f.Line = int(w.Range[0].GetStart().GetLine())
			f.EndLine = int(w.Range[len(w.Range)-1].GetEnd().GetLine())
			f.Message = strings.TrimSuffix(msg, fmt.Sprintf(" (line %d)", f.Line))
		}
		fs = append(fs, f)
	}
	return fs
}

// isCheck tells a build check's warning from the daemon's other warnings:
// every rule's documentation is under one address.
func isCheck(w *client.VertexWarning) bool {
	return strings.HasPrefix(w.URL, "https://docs.docker.com/go/dockerfile/rule/")
}
