package version

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// metadata-action's tag.test.ts and flavor.test.ts: how one rule or flavor
// line parses, or that it is refused.

type maParseCase struct {
	Input    json.RawMessage `json:"input"`
	Expected json.RawMessage `json:"expected"`
	Invalid  bool            `json:"invalid"`
}

func loadParseCases(t *testing.T, file string) map[string][]maParseCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "metadata-action", file))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Suites map[string][]maParseCase `json:"suites"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Suites
}

// ruleAttrs renders a rule as metadata-action's attribute map, holding only
// the attributes metadata-action sets for that type.
func ruleAttrs(r Rule) map[string]string {
	enable := "true"
	if r.Disabled {
		enable = "false"
	} else if r.Enable != "" {
		enable = r.Enable
	}
	a := map[string]string{"priority": strconv.Itoa(r.Priority), "enable": enable}
	switch r.Type {
	case "schedule":
		a["pattern"] = r.Pattern
	case "semver", "pep440":
		a["pattern"], a["value"], a["match"] = r.Pattern, r.Value, r.Match
	case "match":
		a["pattern"], a["group"], a["value"] = r.Pattern, strconv.Itoa(r.Group), r.Value
	case "edge":
		a["branch"] = r.Branch
	case "ref":
		a["event"] = r.Event
	case "raw":
		a["value"] = r.Value
	case "sha":
		a["format"] = r.Format
	}
	if r.HasPrefix {
		a["prefix"] = r.Prefix
	}
	if r.HasSuffix {
		a["suffix"] = r.Suffix
	}
	return a
}

func TestMetadataActionTagParse(t *testing.T) {
	n := 0
	for _, c := range loadParseCases(t, "tag.json")["parse"] {
		var in string
		if err := json.Unmarshal(c.Input, &in); err != nil {
			t.Fatal(err)
		}
		n++
		t.Run(in, func(t *testing.T) {
			rules, err := ParseRules(in)
			if c.Invalid {
				if err == nil {
					t.Fatalf("ParseRules(%q) = %+v, metadata-action refuses it", in, rules)
				}
				return
			}
			if err != nil || len(rules) != 1 {
				t.Fatalf("ParseRules(%q) = %+v, %v; metadata-action accepts it", in, rules, err)
			}
			var want struct {
				Type  string            `json:"type"`
				Attrs map[string]string `json:"attrs"`
			}
			if err := json.Unmarshal(c.Expected, &want); err != nil {
				t.Fatal(err)
			}
			got := ruleAttrs(rules[0])
			if rules[0].Type != want.Type || !equalMaps(got, want.Attrs) {
				t.Errorf("ParseRules(%q) = type=%s %v, metadata-action type=%s %v", in, rules[0].Type, got, want.Type, want.Attrs)
			}
		})
	}
	if n == 0 {
		t.Fatal("no cases in testdata/metadata-action/tag.json")
	}
}

func TestMetadataActionFlavorParse(t *testing.T) {
	n := 0
	for _, c := range loadParseCases(t, "flavor.json")["transform"] {
		var in []string
		if err := json.Unmarshal(c.Input, &in); err != nil {
			t.Fatal(err)
		}
		n++
		t.Run(strings.Join(in, ";"), func(t *testing.T) {
			f, err := ParseFlavor(strings.Join(in, "\n"))
			if c.Invalid {
				if err == nil {
					t.Fatalf("ParseFlavor(%q) = %+v, metadata-action refuses it", in, f)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseFlavor(%q): %v; metadata-action accepts it", in, err)
			}
			var want struct {
				Latest       string `json:"latest"`
				Prefix       string `json:"prefix"`
				PrefixLatest bool   `json:"prefixLatest"`
				Suffix       string `json:"suffix"`
				SuffixLatest bool   `json:"suffixLatest"`
			}
			if err := json.Unmarshal(c.Expected, &want); err != nil {
				t.Fatal(err)
			}
			got := Flavor{Latest: want.Latest, Prefix: want.Prefix, PrefixOnLatest: want.PrefixLatest, Suffix: want.Suffix, SuffixOnLatest: want.SuffixLatest}
			if f != got {
				t.Errorf("ParseFlavor(%q) = %+v, metadata-action %+v", in, f, got)
			}
		})
	}
	if n == 0 {
		t.Fatal("no cases in testdata/metadata-action/flavor.json")
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
