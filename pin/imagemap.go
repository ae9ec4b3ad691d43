package pin

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// imageMap reports a Helm {registry, repository, tag, digest} or Kustomize
// {name, newName, newTag, digest} map. A map without tag and digest is left
// alone: Helm charts then default to the chart's appVersion and Kustomize
// keeps the manifest's tag, neither of which is in this file.
func (f *yamlFile) imageMap(m *yaml.Node, field string, kind Kind) error {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	repoKey, tagKey := "repository", "tag"
	if kind == KindKustomize {
		repoKey, tagKey = "newName", "newTag"
	}
	repoN := resolve(lookup(m, repoKey))
	if kind == KindKustomize && (repoN == nil || repoN.Value == "") {
		repoN = resolve(lookup(m, "name"))
	}
	tagN, digestN := resolve(lookup(m, tagKey)), resolve(lookup(m, "digest"))
	if repoN == nil || repoN.Kind != yaml.ScalarNode || skippable(repoN.Value) {
		return nil
	}
	repo := repoN.Value
	if reg := resolve(lookup(m, "registry")); kind == KindHelm && reg != nil && reg.Value != "" {
		if skippable(reg.Value) {
			return nil
		}
		repo = strings.TrimSuffix(reg.Value, "/") + "/" + repo
	}
	tag, digest := scalarValue(tagN), scalarValue(digestN)
	if tag == "" && digest == "" || tag != "" && skippable(tag) || digest != "" && skippable(digest) {
		return nil
	}
	text := repo
	if tag != "" {
		text += ":" + tag
	}
	if digest != "" {
		text += "@" + digest
	}
	start, end, err := f.scalarSpan(repoN)
	if err != nil {
		return err
	}
	if f.seen[start] {
		return nil
	}
	f.seen[start] = true
	ref, err := f.newRef(text, field, kind, start, end)
	if err != nil {
		return err
	}
	ref.site, err = f.digestSite(m, digestN, tagKey)
	if err != nil {
		return err
	}
	f.refs = append(f.refs, ref)
	return nil
}

func scalarValue(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

// digestSite says where a digest goes in an image map: over the digest
// value when the key exists, else in a new "digest:" entry right after the
// tag entry, indented like it (block style) or as ", digest: …" after the
// tag value (flow style).
func (f *yamlFile) digestSite(m, digestN *yaml.Node, tagKey string) (site, error) {
	if digestN != nil && scalarValue(digestN) != "" || digestN != nil && digestN.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		s, e, err := f.scalarSpan(digestN)
		return site{start: s, end: e}, err
	}
	if digestN != nil { // "digest:" (null) or "digest: ~"
		var key *yaml.Node
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i+1] == digestN || resolve(m.Content[i+1]) == digestN {
				key = m.Content[i]
			}
		}
		if key == nil {
			return site{start: -1}, nil
		}
		_, ke, err := f.scalarSpan(key)
		if err != nil {
			return site{}, err
		}
		p := ke
		for p < len(f.data) && (f.data[p] == ' ' || f.data[p] == '\t') {
			p++
		}
		if p >= len(f.data) || f.data[p] != ':' {
			return site{}, f.unrewritable(ke, "digest key")
		}
		p++
		end := p
		rest := f.data[p:]
		trimmed := bytes.TrimLeft(rest, " \t")
		for _, lit := range []string{"~", "null", "Null", "NULL"} {
			if bytes.HasPrefix(trimmed, []byte(lit)) {
				end = p + (len(rest) - len(trimmed)) + len(lit)
			}
		}
		return site{start: p, end: end, prefix: " "}, nil
	}
	var tagK, tagV *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == tagKey {
			tagK, tagV = m.Content[i], m.Content[i+1]
		}
	}
	if tagK == nil || tagV.Kind != yaml.ScalarNode {
		return site{start: -1}, nil // digest-only map: nothing follows a tag
	}
	vs, ve, err := f.scalarSpan(tagV)
	if err != nil {
		return site{}, err
	}
	if i := strings.IndexByte(tagV.Value, '@'); i >= 0 {
		// The chart keeps "tag@digest" in its tag: the digest goes there.
		return site{start: vs + i + 1, end: ve}, nil
	}
	if tagV.Style&yaml.DoubleQuotedStyle != 0 || tagV.Style&yaml.SingleQuotedStyle != 0 {
		ve++ // past the closing quote
	}
	if m.Style&yaml.FlowStyle != 0 {
		return site{start: ve, end: ve, prefix: ", digest: "}, nil
	}
	ks, _, err := f.scalarSpan(tagK)
	if err != nil {
		return site{}, err
	}
	kl, _ := position(f.data, f.lines, ks)
	indent := []byte(strings.Repeat(" ", utf8.RuneCount(f.data[f.lines[kl-1]:ks])))
	// Keep tabs where the file uses them.
	for i, b := range f.data[f.lines[kl-1]:ks] {
		if b == '\t' && i < len(indent) {
			indent[i] = '\t'
		}
	}
	nl := bytes.IndexByte(f.data[ve:], '\n')
	if nl < 0 {
		return site{start: len(f.data), end: len(f.data), prefix: "\n" + string(indent) + "digest: "}, nil
	}
	at := ve + nl + 1
	eol := "\n"
	if nl > 0 && f.data[ve+nl-1] == '\r' {
		eol = "\r\n"
	}
	return site{start: at, end: at, prefix: string(indent) + "digest: ", suffix: eol}, nil
}
