package version

import (
	"fmt"
	"strings"
	"time"
)

// tmplData feeds the {{…}} expressions metadata-action accepts in patterns,
// values, prefixes and suffixes.
type tmplData struct {
	vars       map[string]string // version, major, branch, sha, …
	now        time.Time         // for {{date}}
	commitTime time.Time         // for {{commit_date}}
}

var globalVars = []string{"branch", "tag", "sha", "base_ref", "is_default_branch", "is_not_default_branch"}
var semverVars = []string{"version", "major", "minor", "patch", "raw"}

// checkTemplate validates expressions at parse time so a typo such as
// {{verison}} fails on its line instead of producing an odd tag.
func checkTemplate(text string, withSemver bool) error {
	vars := map[string]string{}
	for _, v := range globalVars {
		vars[v] = "x"
	}
	if withSemver {
		for _, v := range semverVars {
			vars[v] = "x"
		}
	}
	_, err := expand(text, tmplData{vars: vars, now: time.Unix(0, 0), commitTime: time.Unix(0, 0)})
	return err
}

// expand replaces every {{expr}} in s. Unknown names are errors, unlike
// handlebars' silent empty string, because an empty fragment silently
// changes which image tags are pushed.
func expand(s string, d tmplData) (string, error) {
	var b strings.Builder
	for {
		start := strings.Index(s, "{{")
		if start < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		end := strings.Index(s[start:], "}}")
		if end < 0 {
			return "", fmt.Errorf("unterminated expression in %q", s)
		}
		b.WriteString(s[:start])
		val, err := evalExpr(strings.TrimSpace(s[start+2:start+end]), d)
		if err != nil {
			return "", err
		}
		b.WriteString(val)
		s = s[start+end+2:]
	}
}

func evalExpr(expr string, d tmplData) (string, error) {
	name, args, _ := strings.Cut(expr, " ")
	switch name {
	case "date", "commit_date":
		t := d.now
		if name == "commit_date" {
			t = d.commitTime
		}
		return evalDate(expr, strings.TrimSpace(args), t)
	}
	if v, ok := d.vars[name]; ok && args == "" {
		return v, nil
	}
	known := append([]string{"date", "commit_date"}, globalVars...)
	for k := range d.vars {
		if !contains(known, k) {
			known = append(known, k)
		}
	}
	return "", fmt.Errorf("unknown expression {{%s}}%s", expr, suggest(name, known))
}

// evalDate handles `date 'FORMAT' [tz='Zone/Name']`, moment.js style as in
// metadata-action. Times are UTC unless tz is given.
func evalDate(expr, args string, t time.Time) (string, error) {
	format, rest, err := quoted(args)
	if err != nil {
		return "", fmt.Errorf("expression {{%s}}: %v (want {{date 'YYYYMMDD'}})", expr, err)
	}
	t = t.UTC()
	rest = strings.TrimSpace(rest)
	if rest != "" {
		zone, ok := strings.CutPrefix(rest, "tz=")
		if !ok {
			return "", fmt.Errorf("expression {{%s}}: unexpected %q (only tz='Zone' may follow the format)", expr, rest)
		}
		name, tail, err := quoted(zone)
		if err != nil || strings.TrimSpace(tail) != "" {
			return "", fmt.Errorf("expression {{%s}}: tz must be quoted, e.g. tz='Asia/Tokyo'", expr)
		}
		loc, err := time.LoadLocation(name)
		if err != nil {
			return "", fmt.Errorf("expression {{%s}}: loading time zone %q: %w", expr, name, err)
		}
		t = t.In(loc)
	}
	return formatMoment(format, t), nil
}

// quoted reads a leading '…' or "…" string.
func quoted(s string) (string, string, error) {
	if s == "" || (s[0] != '\'' && s[0] != '"') {
		return "", "", fmt.Errorf("missing quoted format")
	}
	end := strings.IndexByte(s[1:], s[0])
	if end < 0 {
		return "", "", fmt.Errorf("unterminated quote")
	}
	return s[1 : end+1], s[end+2:], nil
}

// momentTokens maps the moment.js tokens people use in tags to Go layouts,
// longest first so YYYY wins over YY.
var momentTokens = []struct{ tok, layout string }{
	{"YYYY", "2006"}, {"YY", "06"}, {"MM", "01"}, {"DD", "02"},
	{"HH", "15"}, {"hh", "03"}, {"mm", "04"}, {"ss", "05"},
}

func formatMoment(format string, t time.Time) string {
	var b strings.Builder
	for i := 0; i < len(format); {
		matched := false
		for _, m := range momentTokens {
			if strings.HasPrefix(format[i:], m.tok) {
				b.WriteString(t.Format(m.layout))
				i += len(m.tok)
				matched = true
				break
			}
		}
		if !matched {
			b.WriteByte(format[i])
			i++
		}
	}
	return b.String()
}
