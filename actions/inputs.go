package actions

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sreevishnu07/stevedore/pipeline"
)

// ListOptions are the list rules of docker/actions-toolkit's
// Util.getInputList, which build-push-action and metadata-action share: a
// list input is CSV (one record a line, "quoted, fields" keep their commas,
// blank lines skipped), and each input chooses whether commas also separate
// items and whether # starts a comment line.
type ListOptions struct {
	// IgnoreComma keeps a line whole: build-args, labels, annotations,
	// secrets, secret-files, cache-from and cache-to, whose values hold
	// commas (type=registry,ref=…). Without it every comma separates items
	// (platforms, secret-envs).
	IgnoreComma bool
	// Comment skips lines starting with # (metadata-action's tags, flavor,
	// labels and annotations; build-push-action has no comments, so there
	// a # is part of a value).
	Comment bool
	// KeepWhitespace leaves the items untrimmed (build-push-action's
	// secrets: a secret value may begin or end with spaces).
	KeepWhitespace bool
}

// List splits a list input as actions-toolkit does.
func List(input string, o ListOptions) []string {
	if !o.KeepWhitespace {
		input = strings.TrimSpace(input) // @actions/core's getInput
	}
	var out []string
	for _, rec := range csvRecords(input, o.Comment) {
		switch {
		case len(rec) == 1 || o.IgnoreComma:
			if o.IgnoreComma {
				out = append(out, strings.Join(rec, ","))
			} else {
				out = append(out, strings.Split(rec[0], ",")...)
			}
		default:
			out = append(out, rec...)
		}
	}
	items := out[:0]
	for _, it := range out {
		if !o.KeepWhitespace {
			it = strings.TrimSpace(it)
		}
		if it != "" {
			items = append(items, it)
		}
	}
	return items
}

// csvRecords parses input as csv-parse does with relax_quotes and
// skip_empty_lines: a field that starts with a quote runs to the closing
// quote ("" is a literal quote, a quoted field may span lines); a quote
// anywhere else is an ordinary character. With comments, a line that starts
// with # is skipped (comment_no_infix: a # inside a line is data).
func csvRecords(input string, comments bool) [][]string {
	input = strings.ReplaceAll(input, "\r\n", "\n")
	var (
		recs  [][]string
		rec   []string
		field strings.Builder
		i     int
	)
	atRecordStart := true
	for i <= len(input) {
		if atRecordStart {
			if comments && strings.HasPrefix(input[i:], "#") {
				if nl := strings.IndexByte(input[i:], '\n'); nl >= 0 {
					i += nl + 1
					continue
				}
				break
			}
			atRecordStart = false
		}
		// One field.
		field.Reset()
		if i < len(input) && input[i] == '"' {
			i++
			for i < len(input) {
				if input[i] == '"' {
					if i+1 < len(input) && input[i+1] == '"' {
						field.WriteByte('"')
						i += 2
						continue
					}
					if i+1 == len(input) || input[i+1] == ',' || input[i+1] == '\n' {
						i++
						break
					}
				}
				field.WriteByte(input[i])
				i++
			}
		} else {
			for i < len(input) && input[i] != ',' && input[i] != '\n' {
				field.WriteByte(input[i])
				i++
			}
		}
		rec = append(rec, field.String())
		if i < len(input) && input[i] == ',' {
			i++
			continue
		}
		// End of the record: a newline or the end of the input.
		if !(len(rec) == 1 && strings.TrimSpace(rec[0]) == "") {
			recs = append(recs, rec)
		}
		rec, atRecordStart = nil, true
		i++
	}
	return recs
}

// KeyValue splits an item at its first =, as build-push-action reads
// secrets (id=value, id=file, id=ENV) and build arguments.
func KeyValue(input, item string) (key, value string, err error) {
	k, v, ok := strings.Cut(item, "=")
	if !ok || strings.TrimSpace(k) == "" {
		// The item may be a secret: never quote it back.
		return "", "", fmt.Errorf("input %s: %q is not KEY=VALUE", input, redactValue(item))
	}
	return k, v, nil
}

// redactValue keeps what is before an = and hides the rest: error messages
// about a secrets input must not print the secret.
func redactValue(s string) string {
	if k, _, ok := strings.Cut(s, "="); ok {
		return k + "=***"
	}
	if len(s) > 3 {
		return s[:3] + "***"
	}
	return "***"
}

// Images reads metadata-action's images input: one image a line, NAME or
// name=NAME,enable=true|false (# comment lines and blank lines skipped; a
// single line of plain names may list them comma-separated). It returns the
// enabled repositories; an error names the input and the line as written.
func Images(input string) ([]string, error) {
	var items []string
	var lines []int
	for i, l := range strings.Split(strings.ReplaceAll(input, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		items, lines = append(items, l), append(lines, i+1)
	}
	entries, err := pipeline.ParseImages(items)
	var ie *pipeline.ImageEntryError
	if errors.As(err, &ie) {
		return nil, fmt.Errorf("input images, line %d: %w", lines[ie.Index], ie.Err)
	}
	if err != nil {
		return nil, fmt.Errorf("input images: %w", err)
	}
	names := pipeline.EnabledImages(entries)
	for i, n := range names {
		names[i] = pipeline.SanitizeImageName(n) // as metadata-action
	}
	return names, nil
}

// Separator is a sep-tags, sep-labels or sep-annotations input: taken as
// given (spaces count, as metadata-action reads them untrimmed), a newline
// when empty.
func Separator(input string) string {
	if input == "" {
		return "\n"
	}
	return input
}
