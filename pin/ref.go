package pin

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sreevishnu07/stevedore/publish"
)

// Kind is the kind of deploy file a reference was found in.
type Kind string

// The kinds of file Find understands.
const (
	KindKubernetes Kind = "kubernetes"
	KindKustomize  Kind = "kustomize"
	KindHelm       Kind = "helm"
	KindCompose    Kind = "compose"
	KindDockerfile Kind = "dockerfile"
	KindWorkflow   Kind = "workflow"
)

// Ref is one image reference found in a file.
//
// For references written as one string (manifests, Compose, Dockerfiles,
// workflows, plain Helm "image:" strings) Start:End is the reference text
// itself, without quotes. For image maps (Helm {registry, repository, tag,
// digest}, Kustomize {name, newName, newTag, digest}) it is the repository
// (newName, else name) value, and Text is the reference the map composes.
type Ref struct {
	File  string
	Kind  Kind
	Field string // where in the file, e.g. "spec.template.spec.containers[0].image" or "FROM"
	// Line and Column (1-based; Column counts characters) locate Start.
	Line, Column int
	// Start and End are byte offsets into the file.
	Start, End int
	// Text is the reference as written (composed, for image maps).
	Text string
	// Ref is the parsed reference: a name.Tag, or a name.Digest when pinned.
	Ref name.Reference
	// Tag is the tag as written; "" when the text has none.
	Tag string
	// Digest is the pinned digest; zero when unpinned.
	Digest v1.Hash

	site site
}

// Pinned reports whether the reference carries a digest.
func (r Ref) Pinned() bool { return r.Digest.Algorithm != "" }

// Position is "FILE:LINE:COLUMN".
func (r Ref) Position() string { return fmt.Sprintf("%s:%d:%d", r.File, r.Line, r.Column) }

// TagRef is the repo:tag this reference follows: its written tag, or
// "latest" when it has neither tag nor digest (as docker reads it). ok is
// false for digest-only references, which follow no tag.
func (r Ref) TagRef() (name.Tag, bool) {
	switch {
	case r.Tag != "":
		return r.Ref.Context().Tag(r.Tag), true
	case !r.Pinned():
		return r.Ref.Context().Tag("latest"), true
	}
	return name.Tag{}, false
}

// site says how to write a new digest into the file.
type site struct {
	start, end int
	// whole: replace start:end with the whole new reference text; otherwise
	// with prefix + digest + suffix (image maps).
	whole          bool
	prefix, suffix string
}

// skippable reports references that are templates or variables, not images:
// "${BASE}", "$IMAGE", "{{ .Values.image }}", "${{ env.IMAGE }}".
func skippable(s string) bool {
	return s == "" || strings.Contains(s, "$") || strings.Contains(s, "{{")
}

// parseRef parses text as written in a file. Registry references only:
// a deploy file cannot pull from an oci: layout.
func parseRef(text string) (name.Reference, string, v1.Hash, error) {
	if strings.HasPrefix(text, publish.LayoutPrefix) {
		return nil, "", v1.Hash{}, fmt.Errorf("%q is an OCI layout, which a deploy file cannot pull: push it and write the registry reference", text)
	}
	pr, err := publish.ParseReference(text)
	if err != nil {
		return nil, "", v1.Hash{}, err
	}
	d, _ := pr.Digest()
	return pr.Registry(), pr.Tag(), d, nil
}

// rewritten is the text of ref pinned to d: the tag is kept for readers (an
// implicit "latest" is written out, so later checks know which tag to
// follow) and any old digest is replaced.
// retagged is rewritten with the tag replaced by newTag (when it differs).
func retagged(text, tag, newTag string, d v1.Hash) string {
	if newTag == "" || newTag == tag || tag == "" {
		return rewritten(text, tag, d)
	}
	base, _, _ := strings.Cut(text, "@")
	return strings.TrimSuffix(base, ":"+tag) + ":" + newTag + "@" + d.String()
}

func rewritten(text, tag string, d v1.Hash) string {
	base, _, _ := strings.Cut(text, "@")
	if tag == "" {
		base += ":latest"
	}
	return base + "@" + d.String()
}
