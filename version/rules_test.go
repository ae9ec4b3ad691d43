package version

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseRules(t *testing.T) {
	cases := []struct {
		name string
		text string
		want []Rule
	}{
		{"defaults per type", `
# comment
type=schedule
type=semver,pattern={{major}}.{{minor}}
type=edge

type=ref,event=pr
type=ref,event=branch
type=raw,value=foo
type=sha`, []Rule{
			{Type: "schedule", Pattern: "nightly", Priority: 1000, Line: 3},
			{Type: "semver", Pattern: "{{major}}.{{minor}}", Priority: 900, Line: 4},
			{Type: "edge", Priority: 700, Line: 5},
			{Type: "ref", Event: "pr", Prefix: "pr-", HasPrefix: true, Priority: 600, Line: 7},
			{Type: "ref", Event: "branch", Priority: 600, Line: 8},
			{Type: "raw", Value: "foo", Priority: 200, Line: 9},
			{Type: "sha", Prefix: "sha-", HasPrefix: true, Format: "short", Priority: 100, Line: 10},
		}},
		{"attributes", `type=sha, format=long, prefix=, suffix=-x, priority=5, enable=false
TYPE=edge,BRANCH=develop
type=schedule,pattern={{date 'YYYYMMDD' tz='UTC'}},prefix=nightly-`, []Rule{
			{Type: "sha", Format: "long", HasPrefix: true, Suffix: "-x", HasSuffix: true, Priority: 5, Disabled: true, Line: 1},
			{Type: "edge", Branch: "develop", Priority: 700, Line: 2},
			{Type: "schedule", Pattern: "{{date 'YYYYMMDD' tz='UTC'}}", Prefix: "nightly-", HasPrefix: true, Priority: 1000, Line: 3},
		}},
		{"bare value is raw", "latest-dev\nfoo,priority=1", []Rule{
			{Type: "raw", Value: "latest-dev", Priority: 200, Line: 1},
			{Type: "raw", Value: "foo", Priority: 1, Line: 2},
		}},
		{"quoted field with comma", `type=raw,"value=a,b"`, []Rule{{Type: "raw", Value: "a,b", Priority: 200, Line: 1}}},
		{"value keeps =", `type=raw,value=a=b`, []Rule{{Type: "raw", Value: "a=b", Priority: 200, Line: 1}}},
		{"empty", "\n  \n# only comments\n", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRules(tc.text)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseRulesErrors(t *testing.T) {
	cases := []struct{ text, want string }{
		{"type=sha\n\ntype=semver,patern={{version}}", `tag rules line 3: invalid tag rule: unknown key "patern" for type=semver (did you mean "pattern"?)`},
		{"type=semvr,pattern={{version}}", `tag rules line 1: invalid tag rule: unknown type "semvr" (did you mean "semver"?)`},
		{"type=match,pattern=v(.*", `tag rules line 1: invalid tag rule: key "pattern": compiling regular expression`},
		{"type=match,pattern=v(.*),group=x", `key "group": "x" is not a group number`},
		{"type=pep440,pattern={{version}},format=short", `unknown key "format" for type=pep440`},
		{"type=pep440", `key "pattern" is required for type=pep440`},
		{"type=sha,enable={{is_default_brnch}}", `key "enable": unknown expression {{is_default_brnch}} (did you mean "is_default_branch"?)`},
		{"type=semver,pattern={{version}},match=v(", `key "match": compiling regular expression`},
		{"type=ref,event=push", `tag rules line 1: invalid tag rule: key "event": unknown event "push"`},
		{"type=ref", `key "event" is required`},
		{"type=semver", `key "pattern" is required`},
		{"type=raw", `key "value" is required`},
		{"type=sha,format=medium", `key "format": "medium" must be short or long`},
		{"type=sha,priority=high", `key "priority": "high" is not an integer`},
		{"type=sha,enable=yes", `key "enable": "yes" must be true, false or an expression`},
		{"type=sha,event=tag", `unknown key "event" for type=sha`},
		{"type=sha,prefix=a,prefix=b", `key "prefix" given twice`},
		{"type=semver,pattern={{verison}}", `tag rules line 1: invalid tag rule: key "pattern": unknown expression {{verison}} (did you mean "version"?)`},
		{"type=raw,value={{version}}", `unknown expression {{version}}`},
		{"type=raw,value={{branch", `unterminated expression`},
		{"type=schedule,pattern={{date YYYY}}", `want {{date 'YYYYMMDD'}}`},
		{"type=schedule,pattern={{date 'YYYY' tz='Nowhere/City'}}", `loading time zone "Nowhere/City"`},
	}
	for _, tc := range cases {
		t.Run(tc.text, func(t *testing.T) {
			_, err := ParseRules(tc.text)
			if !errors.Is(err, ErrInvalidRule) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant ErrInvalidRule containing %q", err, tc.want)
			}
		})
	}
}

func TestDefaultRules(t *testing.T) {
	got := DefaultRules()
	if len(got) != 4 || got[0].Pattern != "{{version}}" || got[3].Type != "sha" || got[3].Prefix != "sha-" {
		t.Fatalf("DefaultRules = %+v", got)
	}
}

func TestParseFlavor(t *testing.T) {
	cases := []struct {
		text string
		want Flavor
	}{
		{"", Flavor{Latest: "auto"}},
		{"latest=false", Flavor{Latest: "false"}},
		{"latest=true\nprefix=app-,onlatest=true\nsuffix=-slim", Flavor{Latest: "true", Prefix: "app-", PrefixOnLatest: true, Suffix: "-slim"}},
		{"prefix=a-\nsuffix=-b,onlatest=true", Flavor{Latest: "auto", Prefix: "a-", Suffix: "-b", SuffixOnLatest: true}},
		{"# c\nlatest=auto, prefix=x", Flavor{Latest: "auto", Prefix: "x"}},
	}
	for _, tc := range cases {
		t.Run(tc.text, func(t *testing.T) {
			got, err := ParseFlavor(tc.text)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestParseFlavorErrors(t *testing.T) {
	cases := []struct{ text, want string }{
		{"latest=maybe", `flavor line 1: invalid tag rule: key "latest": "maybe" must be auto, true or false`},
		{"latest=true\nsufix=-x", `flavor line 2: invalid tag rule: unknown key "sufix" (did you mean "suffix"?)`},
		{"onlatest=true", `flavor line 1: invalid tag rule: key "onlatest" must follow prefix= or suffix=`},
		{"prefix=a,onlatest=sure", `key "onlatest": "sure" must be true or false`},
		{"\n\nlatest", `flavor line 3: invalid tag rule: "latest" is not key=value`},
	}
	for _, tc := range cases {
		t.Run(tc.text, func(t *testing.T) {
			_, err := ParseFlavor(tc.text)
			if !errors.Is(err, ErrInvalidRule) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant containing %q", err, tc.want)
			}
		})
	}
}
