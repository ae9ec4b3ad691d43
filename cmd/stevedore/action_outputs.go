package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/sreevishnu07/stevedore/actions"
	"github.com/sreevishnu07/stevedore/ledger"
	"github.com/sreevishnu07/stevedore/pipeline"
)

// writeActionOutputs sets the step outputs: stevedore's own, and those of
// metadata-action (tags as full references, tag-names, labels, annotations,
// version, json) and build-push-action (digest, imageid) under their names,
// so a converted workflow reads them unchanged. Labels, annotations and
// imageid are the first image's, as those actions describe one image.
func writeActionOutputs(gh *actions.Runner, rep *pipeline.Report, levels []string, getenv env) error {
	var tags, tagged, refs, sboms, verify []string
	var first ledger.Image
	for i, li := range rep.Ledger.Images {
		if i == 0 {
			first = li
		}
		if i < len(rep.Plan.Images) { // one ledger image per planned image, in order
			tags = append(tags, rep.Plan.Images[i].Tags...)
		}
		for _, d := range li.Destinations {
			refs = append(refs, d.Ref)
			repo, _, _ := strings.Cut(d.Ref, "@")
			for _, t := range d.Tags {
				tagged = append(tagged, repo+":"+t)
			}
		}
		for _, s := range li.SBOMs {
			sboms = append(sboms, s.Path)
		}
		verify = append(verify, li.Verify...)
	}
	annotations := actions.Annotations(first.Annotations, levels)
	// metadata-action's sep-* inputs join the list outputs (default a
	// newline); the json output keeps lists.
	sepTags, sepLabels, sepAnnotations := actions.Separator(getenv("INPUT_SEP_TAGS")),
		actions.Separator(getenv("INPUT_SEP_LABELS")), actions.Separator(getenv("INPUT_SEP_ANNOTATIONS"))
	// The json output is the ledger with metadata-action's json keys at the
	// top: fromJSON(steps.meta.outputs.json).labels keeps working.
	doc, err := json.Marshal(struct {
		*ledger.Ledger
		Tags        []string          `json:"tags"`
		TagNames    []string          `json:"tag-names"`
		Labels      map[string]string `json:"labels"`
		Annotations []string          `json:"annotations"`
	}{rep.Ledger, nonNil(tagged), nonNil(dedupe(tags)), first.Labels, nonNil(annotations)})
	if err != nil {
		return fmt.Errorf("encoding the json output: %w", err)
	}
	outputs := []struct{ name, value string }{
		{"released", "true"},
		{"version", rep.Plan.Version},
		{"tags", strings.Join(tagged, sepTags)},
		{"tag-names", strings.Join(dedupe(tags), sepTags)},
		{"labels", strings.Join(actions.Labels(first.Labels), sepLabels)},
		{"annotations", strings.Join(annotations, sepAnnotations)},
		{"json", string(doc)},
		{"digest", first.Digest},
		{"imageid", first.ImageID},
		{"image-refs", strings.Join(refs, "\n")},
		{"sbom-files", strings.Join(sboms, "\n")},
		{"ledger", rep.Plan.LedgerPath},
		{"verify-commands", strings.Join(verify, "\n")},
	}
	// metadata-action also exports its outputs to later steps as
	// DOCKER_METADATA_OUTPUT_*, unless DOCKER_METADATA_SET_OUTPUT_ENV is
	// false.
	exportEnv := !strings.EqualFold(strings.TrimSpace(getenv("DOCKER_METADATA_SET_OUTPUT_ENV")), "false")
	for _, o := range outputs {
		if err := gh.SetOutput(o.name, o.value); err != nil {
			return err
		}
		if exportEnv && metadataOutputs[o.name] {
			if err := gh.ExportVariable("DOCKER_METADATA_OUTPUT_"+strings.ToUpper(nonWord.ReplaceAllString(o.name, "_")), o.value); err != nil {
				return err
			}
		}
	}
	return gh.AppendSummary(rep.Markdown())
}

// metadataOutputs are the outputs metadata-action has.
var metadataOutputs = map[string]bool{"version": true, "tags": true, "tag-names": true, "labels": true, "annotations": true, "json": true}

var nonWord = regexp.MustCompile(`\W`)

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
