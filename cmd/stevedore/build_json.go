package main

import (
	"slices"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/builder/lint"
	"github.com/sreevishnu07/stevedore/publish"
)

// buildOutput is `stevedore build --json`, in the CLI's JSON convention:
// lowercase snake_case keys, durations in seconds, lists never null.
type buildOutput struct {
	Digest       string              `json:"digest"`
	Destinations []destinationOutput `json:"destinations"`
	Steps        []stepOutput        `json:"steps"`
	Bases        []baseOutput        `json:"bases"`
	Warnings     []string            `json:"warnings"`
	Checks       []lint.Finding      `json:"checks"`
}

type destinationOutput struct {
	Ref    string   `json:"ref"`
	Digest string   `json:"digest"`
	Tags   []string `json:"tags"`
}

type stepOutput struct {
	Platform    string `json:"platform"`
	Stage       string `json:"stage"`
	File        string `json:"file"`
	Line        int    `json:"line"`
	Instruction string `json:"instruction"`
	Status      string `json:"status"`
	// Reason says why the cache missed.
	Reason          string  `json:"reason,omitempty"`
	DurationSeconds float64 `json:"duration_seconds"`
	Layer           string  `json:"layer,omitempty"`
}

type baseOutput struct {
	Ref      string `json:"ref"`
	Digest   string `json:"digest"`
	Platform string `json:"platform"`
}

func newBuildOutput(digest string, pub *publish.Result, res *builder.Result) buildOutput {
	out := buildOutput{Digest: digest, Destinations: []destinationOutput{}, Steps: []stepOutput{}, Bases: bases(res.Bases), Warnings: append([]string{}, res.Warnings...), Checks: append([]lint.Finding{}, res.Checks...)}
	for _, d := range pub.Destinations {
		out.Destinations = append(out.Destinations, destinationOutput{Ref: d.Ref, Digest: d.Digest, Tags: append([]string{}, d.Tags...)})
	}
	for _, s := range res.Steps {
		out.Steps = append(out.Steps, stepOutput{Platform: s.Platform, Stage: s.Stage, File: s.File, Line: s.Line, Instruction: s.Instruction,
			Status: string(s.Status), Reason: s.Reason, DurationSeconds: s.Duration.Seconds(), Layer: s.Layer})
	}
	return out
}

// bases lists each base image once: a build reads one base in several
// places (FROM in two stages, COPY --from) but depends on it once.
func bases(bs []builder.Base) []baseOutput {
	out := []baseOutput{}
	for _, b := range bs {
		o := baseOutput{Ref: b.Ref, Digest: b.Digest.String(), Platform: b.Platform.String()}
		if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}
