package pin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

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
// another digest; with WithVerifier, every pinned digest (outside the allow
// list) the verifier rejects. Findings are in file and offset order; err is only for
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
	allow, err := compileGlobs(o.allow)
	if err != nil {
		return nil, fmt.Errorf("reading allow list: %w", err)
	}
	var out []Finding
	verified := map[string]error{}
	for _, r := range refs {
		if r.Pinned() && o.verifier != nil && !allowed(allow, r) {
			d := r.Ref.Context().Digest(r.Digest.String())
			err, done := verified[d.String()]
			if !done {
				err = o.verifier.Verify(ctx, d)
				verified[d.String()] = err
			}
			if err != nil {
				out = append(out, finding(r, RuleUnsigned,
					fmt.Sprintf("image %s is not signed by the expected signer: %v", r.Text, err),
					"stevedore sign --recursive --key cosign.key "+d.String()+", which signs an index's platform manifests too; or add its repository to --allow if it is a third-party image"))
			}
		}
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
				"stevedore pin --update "+r.File+", or pin the intended digest by hand")
			f.Digest = now.String()
			out = append(out, f)
		}
	}
	return out, nil
}

// FormatJSON writes what Check found in the object FormatResultJSON
// writes for Pin and Update, so that --check, --write and --update print
// one shape: findings, with changes and files empty (Check writes nothing).
func FormatJSON(w io.Writer, findings []Finding) error {
	return FormatResultJSON(w, &Result{Findings: findings})
}

// changeJSON is a Change as --json prints it.
type changeJSON struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
	Ref    string `json:"ref"`
	New    string `json:"new"`
	Digest string `json:"digest"`
}

// FormatResultJSON writes what Pin or Update did as JSON: lowercase keys,
// empty lists as [].
func FormatResultJSON(w io.Writer, res *Result) error {
	out := struct {
		Changes  []changeJSON `json:"changes"`
		Findings []Finding    `json:"findings"`
		Files    []string     `json:"files"`
	}{Changes: []changeJSON{}, Findings: []Finding{}, Files: []string{}}
	for _, c := range res.Changes {
		out.Changes = append(out.Changes, changeJSON{File: c.Ref.File, Line: c.Ref.Line, Column: c.Ref.Column, Ref: c.Ref.Text, New: c.New, Digest: c.Digest.String()})
	}
	out.Findings = append(out.Findings, res.Findings...)
	out.Files = append(out.Files, res.Files...)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("writing pin result: %w", err)
	}
	return nil
}
