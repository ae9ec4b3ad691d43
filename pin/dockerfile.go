package pin

import (
	"bytes"
	"errors"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// scanDockerfile finds FROM images, COPY --from=<image> and
// RUN --mount=…,from=<image>. BuildKit's parser says which instruction
// holds what (continuations, heredocs, escape directive); the token is then
// located in that instruction's raw lines. Stage names, stage numbers,
// "scratch" and build-arg references ("${BASE}") are not images and are
// left alone.
func scanDockerfile(file string, data []byte) ([]Ref, error) {
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		line := 0
		var le *parser.LocationError
		if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
			line = le.Locations[0][0].Start.Line
		}
		return nil, newError(ErrSyntax, err, "parsing %s:%d (fix the Dockerfile there, or exclude the file)", file, line)
	}
	f := &yamlFile{name: file, data: data, lines: newLineIndex(data)}
	stages := map[string]bool{}
	var refs []Ref
	for _, n := range res.AST.Children {
		instr := strings.ToLower(n.Value)
		var image, field, asName string
		var locate func(tok string) (int, int, bool)
		switch instr {
		case "from":
			if n.Next == nil {
				continue
			}
			image, field = n.Next.Value, "FROM"
			if as := n.Next.Next; as != nil && strings.EqualFold(as.Value, "as") && as.Next != nil {
				asName = strings.ToLower(as.Next.Value)
			}
			locate = func(tok string) (int, int, bool) {
				for i, t := range tokens(data, f.lines, n.StartLine, n.EndLine) {
					if i > 0 && !strings.HasPrefix(t.text, "--") {
						return t.start, t.end, t.text == image
					}
				}
				return 0, 0, false
			}
		case "copy", "add":
			image, field = flagValue(n.Flags, "--from="), "COPY --from"
			locate = func(tok string) (int, int, bool) {
				for _, t := range tokens(data, f.lines, n.StartLine, n.EndLine) {
					if len(t.text) > 7 && strings.EqualFold(t.text[:7], "--from=") {
						s, e := unquote(data, t.start+7, t.end)
						return s, e, string(data[s:e]) == image
					}
				}
				return 0, 0, false
			}
		case "run":
			for _, fl := range n.Flags {
				if v, ok := strings.CutPrefix(fl, "--mount="); ok {
					if img := mountFrom(v); img != "" {
						image = img
					}
				}
			}
			field = "RUN --mount from"
			locate = func(tok string) (int, int, bool) {
				for _, t := range tokens(data, f.lines, n.StartLine, n.EndLine) {
					if !strings.HasPrefix(strings.ToLower(t.text), "--mount=") {
						continue
					}
					for off := t.start + 8; off < t.end; {
						end := bytes.IndexByte(data[off:t.end], ',')
						if end < 0 {
							end = t.end
						} else {
							end += off
						}
						if kv := string(data[off:end]); strings.HasPrefix(strings.ToLower(kv), "from=") && kv[5:] == image {
							return off + 5, end, true
						}
						off = end + 1
					}
				}
				return 0, 0, false
			}
		default:
			continue
		}
		isStage := stages[strings.ToLower(image)]
		if asName != "" {
			stages[asName] = true
		}
		if image == "" || skippable(image) || strings.EqualFold(image, "scratch") || isStage {
			continue
		}
		if _, err := strconv.Atoi(image); err == nil && field != "FROM" {
			continue // COPY --from=0: a stage by number
		}
		start, end, ok := locate(image)
		if !ok {
			line := n.StartLine
			return nil, newError(ErrUnrewritable, nil, "locating %q at %s:%d: the instruction is written in a form pin cannot rewrite in place (quotes or escapes around the image); write the image as a plain word", image, file, line)
		}
		ref, err := f.newRef(image, field, KindDockerfile, start, end)
		if err != nil {
			return nil, err
		}
		ref.site = site{start: start, end: end, whole: true}
		refs = append(refs, ref)
	}
	return refs, nil
}

func flagValue(flags []string, prefix string) string {
	for _, fl := range flags {
		if len(fl) >= len(prefix) && strings.EqualFold(fl[:len(prefix)], prefix) {
			return fl[len(prefix):]
		}
	}
	return ""
}

func mountFrom(v string) string {
	for kv := range strings.SplitSeq(v, ",") {
		if k, val, ok := strings.Cut(kv, "="); ok && strings.EqualFold(k, "from") {
			return val
		}
	}
	return ""
}

func unquote(data []byte, s, e int) (int, int) {
	if e-s >= 2 && (data[s] == '"' || data[s] == '\'') && data[e-1] == data[s] {
		return s + 1, e - 1
	}
	return s, e
}

type token struct {
	text       string
	start, end int
}

// tokens splits an instruction's raw lines into words, dropping line
// continuations and comment lines inside the instruction.
func tokens(data []byte, lines []int, startLine, endLine int) []token {
	if startLine < 1 || startLine > len(lines) {
		return nil
	}
	from, to := lines[startLine-1], len(data)
	if endLine < len(lines) {
		to = lines[endLine]
	}
	var out []token
	lineStart := true
	for i := from; i < to; {
		c := data[i]
		switch {
		case c == '\n':
			lineStart = true
			i++
		case isSpace(c):
			i++
		case c == '#' && lineStart && i != from:
			for i < to && data[i] != '\n' {
				i++
			}
		default:
			j := i
			for j < to && !isSpace(data[j]) {
				j++
			}
			if t := string(data[i:j]); t != "\\" && t != "`" {
				out = append(out, token{text: t, start: i, end: j})
			}
			lineStart = false
			i = j
		}
	}
	return out
}
