package pin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Rule names what a Finding is about.
type Rule string

// The rules Check and Update report.
const (
	// RuleUnpinned: a reference has no digest.
	RuleUnpinned Rule = "unpinned"
	// RuleTagMoved: a tag@digest pair whose tag now names another digest.
	RuleTagMoved Rule = "tag-moved"
	// RuleUnsigned: Update found a new digest the Verifier rejected.
	RuleUnsigned Rule = "unsigned"
)

// Finding is one problem with one reference.
type Finding struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
	// Ref is the reference as written.
	Ref     string `json:"ref"`
	Rule    Rule   `json:"rule"`
	Message string `json:"message"`
	// Fix is the command or edit that resolves the finding.
	Fix string `json:"fix"`
	// Digest is the digest the tag names now (tag-moved, unsigned).
	Digest string `json:"digest,omitempty"`
}

func finding(r Ref, rule Rule, msg, fix string) Finding {
	return Finding{File: r.File, Line: r.Line, Column: r.Column, Ref: r.Text, Rule: rule, Message: msg, Fix: fix}
}

// Check changes nothing and reports every reference in paths without a
// digest; with WithStrict, also every tag@digest whose tag now resolves to
// another digest. Findings are in file and offset order; err is only for
// failures to read, parse or resolve.
func Check(ctx context.Context, paths []string, opts ...Option) ([]Finding, error) {
	o := makeOptions(opts)
	refs, err := Find(ctx, paths, opts...)
	if err != nil {
		return nil, err
	}
	var digests map[string]v1.Hash
	if o.strict != nil {
		var pinned []Ref
		for _, r := range refs {
			if _, ok := r.TagRef(); ok && r.Pinned() {
				pinned = append(pinned, r)
			}
		}
		if digests, err = resolveRefs(ctx, o.strict, pinned, o.jobs); err != nil {
			return nil, fmt.Errorf("checking tags: %w", err)
		}
	}
	var out []Finding
	for _, r := range refs {
		if !r.Pinned() {
			out = append(out, finding(r, RuleUnpinned,
				fmt.Sprintf("image %s is not pinned to a digest", r.Text),
				"stevedore pin --write "+r.File))
			continue
		}
		t, ok := r.TagRef()
		if !ok || digests == nil {
			continue
		}
		if now := digests[t.Name()]; now != r.Digest {
			f := finding(r, RuleTagMoved,
				fmt.Sprintf("tag %s now points to %s, not the pinned %s", t, now, r.Digest),
				"stevedore pin --update --write "+r.File+" (or pin the intended digest by hand)")
			f.Digest = now.String()
			out = append(out, f)
		}
	}
	return out, nil
}

// FormatGitHub writes findings as GitHub Actions workflow commands
// ("::error file=…,line=…,col=…,title=…::message"), one per line, so they
// show as annotations on the pull request.
func FormatGitHub(w io.Writer, findings []Finding) error {
	for _, f := range findings {
		msg := f.Message
		if f.Fix != "" {
			msg += ". Fix: " + f.Fix
		}
		_, err := fmt.Fprintf(w, "::error file=%s,line=%d,col=%d,title=%s::%s\n",
			escapeProperty(f.File), f.Line, f.Column, escapeProperty("stevedore pin: "+string(f.Rule)), escapeData(msg))
		if err != nil {
			return fmt.Errorf("writing annotations: %w", err)
		}
	}
	return nil
}

// FormatJSON writes findings as a JSON array (never null).
func FormatJSON(w io.Writer, findings []Finding) error {
	if findings == nil {
		findings = []Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(findings); err != nil {
		return fmt.Errorf("writing findings: %w", err)
	}
	return nil
}

// Escaping as the Actions runner's command parser expects.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
