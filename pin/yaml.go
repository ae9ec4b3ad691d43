package pin

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// yamlFile scans one YAML stream. yaml.v3 only locates scalars (line and
// column); spans are then checked against the raw bytes, so a rewrite
// touches exactly the characters of the reference.
type yamlFile struct {
	name  string
	data  []byte
	lines []int // byte offset of each line start
	kind  Kind  // from the path; "" means "decide per document"
	refs  []Ref
	// seen holds the start offsets already reported: an alias must not
	// produce a second rewrite of its anchor's scalar.
	seen    map[int]bool
	visited map[*yaml.Node]bool
}

func newLineIndex(data []byte) []int {
	lines := []int{0}
	for i, b := range data {
		if b == '\n' {
			lines = append(lines, i+1)
		}
	}
	return lines
}

// position turns a byte offset into a 1-based line and character column.
func position(data []byte, lines []int, off int) (int, int) {
	lo, hi := 0, len(lines)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if lines[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo + 1, utf8.RuneCount(data[lines[lo]:off]) + 1
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): `)

func scanYAML(file string, data []byte, kind Kind) ([]Ref, error) {
	f := &yamlFile{name: file, data: data, lines: newLineIndex(data), kind: kind, seen: map[int]bool{}, visited: map[*yaml.Node]bool{}}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, msg := 0, err.Error()
			if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
				line, _ = strconv.Atoi(m[1])
				msg = strings.TrimPrefix(msg, m[0])
			}
			return nil, newError(ErrSyntax, nil, "parsing %s:%d: %s (fix the YAML there, or exclude the file)", file, line, msg)
		}
		if len(doc.Content) == 0 {
			continue
		}
		if err := f.document(resolve(doc.Content[0])); err != nil {
			return nil, err
		}
	}
	return f.refs, nil
}

func (f *yamlFile) document(root *yaml.Node) error {
	if root == nil || root.Kind != yaml.MappingNode {
		return nil
	}
	kind := f.kind
	if kind == "" || kind == KindKubernetes {
		api, k := lookup(root, "apiVersion"), lookup(root, "kind")
		if api == nil || k == nil {
			return nil
		}
		kind = KindKubernetes
		if k.Value == "Kustomization" {
			kind = KindKustomize
		}
	}
	switch kind {
	case KindKubernetes:
		return f.walkKubernetes(root, "")
	case KindKustomize:
		images := resolve(lookup(root, "images"))
		if images == nil || images.Kind != yaml.SequenceNode {
			return nil
		}
		for i, it := range images.Content {
			if err := f.imageMap(resolve(it), fmt.Sprintf("images[%d]", i), KindKustomize); err != nil {
				return err
			}
		}
	case KindHelm:
		return f.walkHelm(root, "")
	case KindCompose:
		for _, p := range pairs(resolve(lookup(root, "services"))) {
			if err := f.stringRef(lookup(resolve(p[1]), "image"), "services."+p[0].Value+".image", kind, 0); err != nil {
				return err
			}
		}
	case KindWorkflow:
		return f.walkWorkflow(root)
	}
	return nil
}

var containerKeys = map[string]bool{"containers": true, "initContainers": true, "ephemeralContainers": true}

// walkKubernetes finds container lists anywhere in the document rather than
// at per-kind paths, so every workload kind (and CRDs embedding pod specs,
// and List items) is covered by one rule.
func (f *yamlFile) walkKubernetes(n *yaml.Node, path string) error {
	n = resolve(n)
	if n == nil || f.visited[n] {
		return nil
	}
	f.visited[n] = true
	switch n.Kind {
	case yaml.MappingNode:
		for _, p := range pairs(n) {
			key, val := p[0].Value, resolve(p[1])
			sub := join(path, key)
			if containerKeys[key] && val != nil && val.Kind == yaml.SequenceNode {
				for i, c := range val.Content {
					if err := f.stringRef(lookup(resolve(c), "image"), fmt.Sprintf("%s[%d].image", sub, i), KindKubernetes, 0); err != nil {
						return err
					}
				}
				continue
			}
			if err := f.walkKubernetes(val, sub); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if err := f.walkKubernetes(c, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// walkHelm reports every "image:" key, whatever its depth: charts nest
// images under arbitrary component names.
func (f *yamlFile) walkHelm(n *yaml.Node, path string) error {
	n = resolve(n)
	if n == nil || f.visited[n] {
		return nil
	}
	f.visited[n] = true
	switch n.Kind {
	case yaml.MappingNode:
		for _, p := range pairs(n) {
			key, val := p[0].Value, resolve(p[1])
			sub := join(path, key)
			if key == "image" && val != nil {
				var err error
				if val.Kind == yaml.MappingNode {
					err = f.imageMap(val, sub, KindHelm)
				} else {
					err = f.stringRef(p[1], sub, KindHelm, 0)
				}
				if err != nil {
					return err
				}
				continue
			}
			if err := f.walkHelm(val, sub); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if err := f.walkHelm(c, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f *yamlFile) walkWorkflow(root *yaml.Node) error {
	for _, job := range pairs(resolve(lookup(root, "jobs"))) {
		j := resolve(job[1])
		base := "jobs." + job[0].Value
		if c := resolve(lookup(j, "container")); c != nil {
			var err error
			if c.Kind == yaml.MappingNode {
				err = f.stringRef(lookup(c, "image"), base+".container.image", KindWorkflow, 0)
			} else {
				err = f.stringRef(lookup(j, "container"), base+".container", KindWorkflow, 0)
			}
			if err != nil {
				return err
			}
		}
		for _, s := range pairs(resolve(lookup(j, "services"))) {
			if err := f.stringRef(lookup(resolve(s[1]), "image"), base+".services."+s[0].Value+".image", KindWorkflow, 0); err != nil {
				return err
			}
		}
		steps := resolve(lookup(j, "steps"))
		if steps == nil || steps.Kind != yaml.SequenceNode {
			continue
		}
		for i, st := range steps.Content {
			u := lookup(resolve(st), "uses")
			if ru := resolve(u); ru != nil && strings.HasPrefix(ru.Value, "docker://") {
				if err := f.stringRef(u, fmt.Sprintf("%s.steps[%d].uses", base, i), KindWorkflow, len("docker://")); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// stringRef reports the reference held by scalar n (an alias is followed to
// its anchor, which is what gets rewritten). skip is the length of a prefix
// that is not part of the reference ("docker://").
func (f *yamlFile) stringRef(n *yaml.Node, field string, kind Kind, skip int) error {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || (n.Tag != "" && n.Tag != "!!str") {
		return nil
	}
	text := n.Value[skip:]
	if skippable(text) {
		return nil
	}
	start, end, err := f.scalarSpan(n)
	if err != nil {
		return err
	}
	start += skip
	if f.seen[start] {
		return nil
	}
	f.seen[start] = true
	ref, err := f.newRef(text, field, kind, start, end)
	if err != nil {
		return err
	}
	ref.site = site{start: start, end: end, whole: true}
	f.refs = append(f.refs, ref)
	return nil
}

func (f *yamlFile) newRef(text, field string, kind Kind, start, end int) (Ref, error) {
	line, col := position(f.data, f.lines, start)
	r, tag, d, err := parseRef(text)
	if err != nil {
		return Ref{}, newError(ErrReference, err, "parsing image reference at %s:%d:%d (%s)", f.name, line, col, field)
	}
	return Ref{File: f.name, Kind: kind, Field: field, Line: line, Column: col, Start: start, End: end, Text: text, Ref: r, Tag: tag, Digest: d}, nil
}

// scalarSpan returns the byte span of scalar n's value in the raw file
// (inside the quotes for quoted scalars), after checking that those bytes
// are exactly the value, so that replacing them changes only the value.
func (f *yamlFile) scalarSpan(n *yaml.Node) (int, int, error) {
	if n.Line < 1 || n.Line > len(f.lines) {
		return 0, 0, f.unrewritable(0, n.Value)
	}
	p := f.lines[n.Line-1]
	for i := 1; i < n.Column && p < len(f.data); i++ {
		_, w := utf8.DecodeRune(f.data[p:])
		p += w
	}
	// yaml.v3 may place a node at its anchor or tag; step over both.
	for p < len(f.data) && (f.data[p] == '&' || f.data[p] == '!') {
		for p < len(f.data) && !isSpace(f.data[p]) {
			p++
		}
		for p < len(f.data) && (f.data[p] == ' ' || f.data[p] == '\t') {
			p++
		}
	}
	v := []byte(n.Value)
	switch {
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
	case n.Style&yaml.DoubleQuotedStyle != 0, n.Style&yaml.SingleQuotedStyle != 0:
		q := byte('"')
		if n.Style&yaml.SingleQuotedStyle != 0 {
			q = '\''
		}
		e := p + 1 + len(v)
		if p < len(f.data) && f.data[p] == q && e < len(f.data) && f.data[e] == q && bytes.Equal(f.data[p+1:e], v) {
			return p + 1, e, nil
		}
	default:
		e := p + len(v)
		if e <= len(f.data) && bytes.Equal(f.data[p:e], v) {
			return p, e, nil
		}
	}
	return 0, 0, f.unrewritable(p, n.Value)
}

func (f *yamlFile) unrewritable(off int, value string) error {
	line, col := position(f.data, f.lines, off)
	return newError(ErrUnrewritable, nil, "locating %q at %s:%d:%d: the value is written with escapes, folding or over several lines; write it as one plain or quoted scalar", value, f.name, line, col)
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}

// pairs lists a mapping's entries, with "<<" merge keys expanded (entries
// written in the map win over merged ones, as YAML says).
func pairs(m *yaml.Node) [][2]*yaml.Node { return pairsDepth(m, 0) }

// maxMergeDepth bounds "<<" chains: merges of merges can grow
// exponentially on hostile input, and real files nest a level or two.
const maxMergeDepth = 8

func pairsDepth(m *yaml.Node, depth int) [][2]*yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode || depth > maxMergeDepth {
		return nil
	}
	var own, merged [][2]*yaml.Node
	have := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Value == "<<" && k.Tag == "!!merge" {
			src := []*yaml.Node{v}
			if rv := resolve(v); rv != nil && rv.Kind == yaml.SequenceNode {
				src = rv.Content
			}
			for _, s := range src {
				merged = append(merged, pairsDepth(resolve(s), depth+1)...)
			}
			continue
		}
		own = append(own, [2]*yaml.Node{k, v})
		have[k.Value] = true
	}
	for _, p := range merged {
		if !have[p[0].Value] {
			own = append(own, p)
			have[p[0].Value] = true
		}
	}
	return own
}

func lookup(m *yaml.Node, key string) *yaml.Node {
	for _, p := range pairs(m) {
		if p[0].Value == key {
			return p[1]
		}
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
