package version

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// metadata-action's own test cases (docker/metadata-action __tests__), kept
// as data in testdata/metadata-action: the event, the action's inputs and the
// tags it computes. Every case runs through stevedore's tag rules with no
// planned release, so semver rules see only what metadata-action sees (the
// pushed tag or value=). Cases stevedore answers differently on purpose are
// listed in deviations.json with the reason; a listed case that stops
// deviating fails, so the list never goes stale.

type maCase struct {
	Name    string            `json:"name"`
	Fixture string            `json:"fixture"`
	Env     map[string]string `json:"env"`
	Payload struct {
		Number        int    `json:"number"`
		BaseRef       string `json:"base_ref"`
		DefaultBranch string `json:"default_branch"`
		PullRequest   *struct {
			HeadSHA string `json:"head_sha"`
			BaseRef string `json:"base_ref"`
		} `json:"pull_request"`
	} `json:"payload"`
	Inputs struct {
		Images []string `json:"images"`
		Tags   []string `json:"tags"`
		Flavor []string `json:"flavor"`
	} `json:"inputs"`
	Tags []string `json:"tags"`
}

// maDefaultRules is metadata-action's rule set when `tags:` is empty.
const maDefaultRules = "type=schedule\ntype=ref,event=branch\ntype=ref,event=tag\ntype=ref,event=pr"

func loadMetadataActionCases(t *testing.T) map[string][]maCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "metadata-action", "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Suites map[string][]maCase `json:"suites"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Suites
}

func loadDeviations(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "metadata-action", "deviations.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dev map[string]string
	if err := json.Unmarshal(data, &dev); err != nil {
		t.Fatal(err)
	}
	return dev
}

// eventFromCase builds the Event the CLI would read from the same GITHUB_*
// variables and payload.
func eventFromCase(c maCase) (Event, MetadataEnv) {
	ev := Event{
		Name: c.Env["GITHUB_EVENT_NAME"], Ref: c.Env["GITHUB_REF"], SHA: c.Env["GITHUB_SHA"],
		HeadRef: c.Env["GITHUB_HEAD_REF"], BaseRef: c.Env["GITHUB_BASE_REF"],
		DefaultBranch: c.Payload.DefaultBranch, PRNumber: c.Payload.Number, PushBaseRef: c.Payload.BaseRef,
	}
	if pr := c.Payload.PullRequest; pr != nil {
		ev.PRHeadSHA = pr.HeadSHA
		if ev.BaseRef == "" {
			ev.BaseRef = pr.BaseRef
		}
	}
	m, _ := ParseMetadataEnv(func(k string) string { return c.Env[k] })
	return ev, m
}

// tagNames reduces metadata-action's full references to the tag names of
// the first image, in order.
func tagNames(refs []string, images int) []string {
	if images == 0 {
		return append([]string{}, refs...)
	}
	out := []string{}
	first := ""
	for _, r := range refs {
		i := strings.LastIndex(r, ":")
		img, tag := r[:i], r[i+1:]
		if first == "" {
			first = img
		}
		if img == first {
			out = append(out, tag)
		}
	}
	return out
}

func runMetadataActionCase(c maCase) ([]string, error) {
	text := strings.Join(c.Inputs.Tags, "\n")
	if strings.TrimSpace(text) == "" {
		text = maDefaultRules
	}
	rules, err := ParseRules(text)
	if err != nil {
		return nil, err
	}
	flavor, err := ParseFlavor(strings.Join(c.Inputs.Flavor, "\n"))
	if err != nil {
		return nil, err
	}
	ev, envOpts := eventFromCase(c)
	return EventTags(ev, rules, flavor, envOpts, time.Date(2020, 1, 10, 0, 30, 0, 0, time.UTC))
}

func TestMetadataActionCases(t *testing.T) {
	suites := loadMetadataActionCases(t)
	dev := loadDeviations(t)
	total, pass, deviate := 0, 0, 0
	for _, suite := range slices.Sorted(func(yield func(string) bool) {
		for k := range suites {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, c := range suites[suite] {
			total++
			t.Run(suite+"/"+c.Name, func(t *testing.T) {
				want := tagNames(c.Tags, len(c.Inputs.Images))
				got, err := runMetadataActionCase(c)
				same := err == nil && slices.Equal(got, want)
				reason, listed := dev[suite+"/"+c.Name]
				switch {
				case listed && same:
					t.Errorf("%s is listed as a deviation (%s) but now gives metadata-action's tags %q; remove it from deviations.json", c.Name, reason, want)
				case listed:
					deviate++
					t.Logf("deliberate deviation: %s: got %q (err %v), metadata-action %q", reason, got, err, want)
				case !same:
					t.Errorf("%s (%s, rules %q, flavor %q): got %q (err %v), metadata-action gives %q", c.Name, c.Fixture, c.Inputs.Tags, c.Inputs.Flavor, got, err, want)
				default:
					pass++
				}
			})
		}
	}
	t.Logf("metadata-action cases: %d, same tags: %d, deliberate deviations: %d", total, pass, deviate)
}
