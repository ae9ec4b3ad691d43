package version

import (
	"encoding/csv"
	"fmt"
	"sort"
	"strconv"
	"strings"

	suggestpkg "github.com/sreevishnu07/stevedore/internal/suggest"
)

// Rule is one docker/metadata-action `tags:` entry. Rules made by
// [ParseRules] carry metadata-action's defaults (priorities, `sha-` prefix,
// short sha, `nightly`); rules built in Go are used exactly as given, so a
// Go caller wanting `sha-` must set Prefix itself.
type Rule struct {
	Type    string `json:"type"`              // schedule | semver | match | edge | ref | raw | sha
	Pattern string `json:"pattern,omitempty"` // semver, schedule
	Value   string `json:"value,omitempty"`   // raw; for semver, a version to use instead of the plan's
	Event   string `json:"event,omitempty"`   // ref: branch | tag | pr
	Branch  string `json:"branch,omitempty"`  // edge: the branch that gets `edge` (default: the default branch)
	Format  string `json:"format,omitempty"`  // sha: short | long
	Match   string `json:"match,omitempty"`   // semver: a regular expression whose group 1 is the version; match: the expression
	Group   int    `json:"group,omitempty"`   // match: the capture group that is the tag
	Prefix  string `json:"prefix,omitempty"`  // replaces the flavor prefix when non-empty or when HasPrefix
	Suffix  string `json:"suffix,omitempty"`  // replaces the flavor suffix when non-empty or when HasSuffix
	// HasPrefix/HasSuffix: the rule named prefix=/suffix= itself, so even an
	// empty one cancels the flavor's (metadata-action's rule).
	HasPrefix bool   `json:"has_prefix,omitempty"`
	HasSuffix bool   `json:"has_suffix,omitempty"`
	Priority  int    `json:"priority"` // higher first
	Disabled  bool   `json:"disabled,omitempty"`
	Enable    string `json:"enable,omitempty"` // an expression such as {{is_default_branch}}, evaluated per event; "" is true
	Line      int    `json:"line,omitempty"`   // 1-based source line, for messages; 0 for rules built in Go
}

// Flavor is metadata-action's `flavor:` input.
type Flavor struct {
	Latest         string `json:"latest"` // auto (also ""), true, false
	Prefix         string `json:"prefix,omitempty"`
	PrefixOnLatest bool   `json:"prefix_on_latest,omitempty"`
	Suffix         string `json:"suffix,omitempty"`
	SuffixOnLatest bool   `json:"suffix_on_latest,omitempty"`
}

// defaultPriority is metadata-action's table (src/tag.ts DefaultPriorities).
var defaultPriority = map[string]int{
	"schedule": 1000,
	"semver":   900,
	"pep440":   900,
	"match":    800,
	"edge":     700,
	"ref":      600,
	"raw":      200,
	"sha":      100,
}

// typeKeys lists the keys each type accepts beyond the common ones.
var typeKeys = map[string][]string{
	"schedule": {"pattern"},
	"semver":   {"pattern", "value", "match"},
	"pep440":   {"pattern", "value", "match"},
	"match":    {"pattern", "group", "value"},
	"edge":     {"branch"},
	"ref":      {"event"},
	"raw":      {"value"},
	"sha":      {"format"},
}

var commonKeys = []string{"type", "enable", "priority", "prefix", "suffix"}

// defaultRulesText is what stevedore uses when no rules are given: the
// version, its floating aliases (subject to the floating-tag safety rules),
// and the commit sha.
const defaultRulesText = `type=semver,pattern={{version}}
type=semver,pattern={{major}}.{{minor}}
type=semver,pattern={{major}}
type=sha`

// DefaultRules returns the rules used when none are given.
func DefaultRules() []Rule {
	r, err := ParseRules(defaultRulesText)
	if err != nil {
		panic(err) // the constant above is covered by tests
	}
	return r
}

// RuleError is a tag rule or flavor line that does not parse. Line counts
// the lines of the rules text from 1, so a caller that knows where the text
// came from (a stevedore.yaml block, an action input) can name that place.
type RuleError struct {
	Input string // "tag rules" or "flavor"
	Line  int
	Err   error
}

func (e *RuleError) Error() string { return fmt.Sprintf("%s line %d: %v", e.Input, e.Line, e.Err) }

func (e *RuleError) Unwrap() error { return e.Err }

// ParseRules parses metadata-action's `tags:` input: one rule per line, each
// line a CSV list of key=value fields. A field without "=" is the value
// (metadata-action's shorthand), and a line without type= is type=raw.
// Blank lines and lines starting with # are ignored.
func ParseRules(text string) ([]Rule, error) {
	var rules []Rule
	for i, line := range strings.Split(text, "\n") {
		n := i + 1
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields, err := splitCSV(line)
		if err != nil {
			return nil, &RuleError{Input: "tag rules", Line: n, Err: fmt.Errorf("%w: %v", ErrInvalidRule, err)}
		}
		attrs := map[string]string{}
		var order []string
		for _, f := range fields {
			key, value, ok := strings.Cut(f, "=")
			key, value = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(value)
			if !ok {
				key, value = "value", strings.TrimSpace(f)
			}
			if _, dup := attrs[key]; dup {
				return nil, &RuleError{Input: "tag rules", Line: n, Err: fmt.Errorf("%w: key %q given twice", ErrInvalidRule, key)}
			}
			attrs[key] = value
			order = append(order, key)
		}
		r, err := ruleFromAttrs(attrs, order)
		if err == nil {
			err = validateRule(r) // what Plan would refuse, found while the line is known
		}
		if err != nil {
			return nil, &RuleError{Input: "tag rules", Line: n, Err: err}
		}
		r.Line = n
		rules = append(rules, r)
	}
	return rules, nil
}

func splitCSV(line string) ([]string, error) {
	rd := csv.NewReader(strings.NewReader(line))
	rd.LazyQuotes = true
	rd.TrimLeadingSpace = true
	rd.FieldsPerRecord = -1
	return rd.Read()
}

func ruleFromAttrs(attrs map[string]string, order []string) (Rule, error) {
	typ, ok := attrs["type"]
	if !ok {
		typ = "raw"
	}
	if _, known := typeKeys[typ]; !known {
		return Rule{}, fmt.Errorf("%w: unknown type %q%s", ErrInvalidRule, typ, suggest(typ, keysOf(typeKeys)))
	}
	allowed := append(append([]string{}, commonKeys...), typeKeys[typ]...)
	for _, k := range order {
		if !contains(allowed, k) {
			return Rule{}, fmt.Errorf("%w: unknown key %q for type=%s%s", ErrInvalidRule, k, typ, suggest(k, allowed))
		}
	}
	r := Rule{
		Type: typ, Pattern: attrs["pattern"], Value: attrs["value"], Event: attrs["event"],
		Branch: attrs["branch"], Format: attrs["format"], Prefix: attrs["prefix"], Suffix: attrs["suffix"],
		Match: attrs["match"], Priority: defaultPriority[typ],
	}
	_, r.HasPrefix = attrs["prefix"]
	_, r.HasSuffix = attrs["suffix"]
	if p, ok := attrs["priority"]; ok {
		n, err := strconv.Atoi(p)
		if err != nil {
			return Rule{}, fmt.Errorf("%w: key \"priority\": %q is not an integer", ErrInvalidRule, p)
		}
		r.Priority = n
	}
	if e, ok := attrs["enable"]; ok {
		switch {
		case e == "true":
		case e == "false":
			r.Disabled = true
		case strings.Contains(e, "{{"):
			if err := checkTemplate(e, false); err != nil {
				return Rule{}, fmt.Errorf("%w: key \"enable\": %v", ErrInvalidRule, err)
			}
			r.Enable = e
		default:
			return Rule{}, fmt.Errorf("%w: key \"enable\": %q must be true, false or an expression such as {{is_default_branch}}", ErrInvalidRule, e)
		}
	}
	switch typ {
	case "schedule":
		if _, ok := attrs["pattern"]; !ok {
			r.Pattern = "nightly"
		}
	case "semver", "pep440":
		if _, ok := attrs["pattern"]; !ok {
			return Rule{}, fmt.Errorf("%w: key \"pattern\" is required for type=%s (e.g. pattern={{version}})", ErrInvalidRule, typ)
		}
	case "ref":
		if _, ok := attrs["event"]; !ok {
			return Rule{}, fmt.Errorf("%w: key \"event\" is required for type=ref (branch, tag or pr)", ErrInvalidRule)
		}
		if _, ok := attrs["prefix"]; !ok && r.Event == "pr" {
			r.Prefix, r.HasPrefix = "pr-", true
		}
	case "match":
		if _, ok := attrs["pattern"]; !ok {
			return Rule{}, fmt.Errorf("%w: key \"pattern\" is required for type=match (a regular expression)", ErrInvalidRule)
		}
		if g, ok := attrs["group"]; ok {
			n, err := strconv.Atoi(g)
			if err != nil || n < 0 {
				return Rule{}, fmt.Errorf("%w: key \"group\": %q is not a group number", ErrInvalidRule, g)
			}
			r.Group = n
		}
	case "raw":
		if _, ok := attrs["value"]; !ok {
			return Rule{}, fmt.Errorf("%w: key \"value\" is required for type=raw", ErrInvalidRule)
		}
	case "sha":
		if _, ok := attrs["prefix"]; !ok {
			r.Prefix, r.HasPrefix = "sha-", true
		}
		if r.Format == "" {
			r.Format = "short"
		}
	}
	if err := validateRule(r); err != nil {
		return Rule{}, err
	}
	return r, nil
}

// validateRule checks a rule whatever its origin (parsed or built in Go).
func validateRule(r Rule) error {
	if _, ok := typeKeys[r.Type]; !ok {
		return fmt.Errorf("%w: unknown type %q%s", ErrInvalidRule, r.Type, suggest(r.Type, keysOf(typeKeys)))
	}
	switch r.Type {
	case "ref":
		if !contains([]string{"branch", "tag", "pr"}, r.Event) {
			return fmt.Errorf("%w: key \"event\": unknown event %q (want branch, tag or pr)%s", ErrInvalidRule, r.Event, suggest(r.Event, []string{"branch", "tag", "pr"}))
		}
	case "sha":
		if r.Format != "short" && r.Format != "long" && r.Format != "" {
			return fmt.Errorf("%w: key \"format\": %q must be short or long", ErrInvalidRule, r.Format)
		}
	case "semver", "pep440":
		if r.Pattern == "" {
			return fmt.Errorf("%w: key \"pattern\" is required for type=%s", ErrInvalidRule, r.Type)
		}
		if r.Match != "" {
			if _, err := compileMatch(r.Match); err != nil {
				return fmt.Errorf("%w: key \"match\": %v", ErrInvalidRule, err)
			}
		}
	case "match":
		if _, err := compileMatch(r.Pattern); err != nil {
			return fmt.Errorf("%w: key \"pattern\": %v", ErrInvalidRule, err)
		}
	}
	check := func(key, text string, semverVars bool) error {
		if err := checkTemplate(text, semverVars); err != nil {
			return fmt.Errorf("%w: key %q: %v", ErrInvalidRule, key, err)
		}
		return nil
	}
	isSemver := r.Type == "semver" || r.Type == "pep440"
	for _, kv := range [][2]string{{"pattern", r.Pattern}, {"value", r.Value}, {"prefix", r.Prefix}, {"suffix", r.Suffix}} {
		if r.Type == "match" && kv[0] == "pattern" {
			continue // a regular expression, not a template
		}
		if err := check(kv[0], kv[1], isSemver && kv[0] == "pattern"); err != nil {
			return err
		}
	}
	return nil
}

// ParseFlavor parses metadata-action's `flavor:` input: latest=auto|true|false,
// prefix=…, suffix=…, each of the latter optionally followed on the same line
// by onlatest=true|false (whether `latest` gets the prefix/suffix too).
func ParseFlavor(text string) (Flavor, error) {
	f := Flavor{Latest: "auto"}
	for i, line := range strings.Split(text, "\n") {
		n := i + 1
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields, err := splitCSV(line)
		if err != nil {
			return Flavor{}, &RuleError{Input: "flavor", Line: n, Err: fmt.Errorf("%w: %v", ErrInvalidRule, err)}
		}
		last := ""
		for _, field := range fields {
			key, value, ok := strings.Cut(field, "=")
			key, value = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(value)
			if !ok {
				return Flavor{}, &RuleError{Input: "flavor", Line: n, Err: fmt.Errorf("%w: %q is not key=value", ErrInvalidRule, field)}
			}
			switch key {
			case "latest":
				if value != "auto" && value != "true" && value != "false" {
					return Flavor{}, &RuleError{Input: "flavor", Line: n, Err: fmt.Errorf("%w: key \"latest\": %q must be auto, true or false", ErrInvalidRule, value)}
				}
				f.Latest = value
			case "prefix":
				f.Prefix, last = value, "prefix"
			case "suffix":
				f.Suffix, last = value, "suffix"
			case "onlatest":
				if value != "true" && value != "false" {
					return Flavor{}, &RuleError{Input: "flavor", Line: n, Err: fmt.Errorf("%w: key \"onlatest\": %q must be true or false", ErrInvalidRule, value)}
				}
				switch last {
				case "prefix":
					f.PrefixOnLatest = value == "true"
				case "suffix":
					f.SuffixOnLatest = value == "true"
				default:
					return Flavor{}, &RuleError{Input: "flavor", Line: n, Err: fmt.Errorf("%w: key \"onlatest\" must follow prefix= or suffix= on the same line", ErrInvalidRule)}
				}
			default:
				return Flavor{}, &RuleError{Input: "flavor", Line: n, Err: fmt.Errorf("%w: unknown key %q%s", ErrInvalidRule, key, suggest(key, []string{"latest", "prefix", "suffix", "onlatest"}))}
			}
		}
	}
	return f, nil
}

// suggest returns ` (did you mean "x"?)` for the closest candidate, if
// close enough to be a typo.
func suggest(got string, candidates []string) string {
	if best := suggestpkg.Nearest(got, candidates); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}

func keysOf(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
