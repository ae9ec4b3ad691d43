package builder

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/sreevishnu07/stevedore/builder/buildcontext"
	"github.com/sreevishnu07/stevedore/builder/store"
	"github.com/sreevishnu07/stevedore/internal/atomicfile"
)

// stepCache maps a step's key (everything its layer depends on) to the
// layer it made, and remembers what each step's inputs were last time so a
// miss can say what changed.
type stepCache struct {
	dir     string
	noCache bool
}

// cachedLayer is a cache entry: enough to rebuild the v1.Layer from the
// store without reading the blob.
type cachedLayer struct {
	Digest    string          `json:"digest"`
	DiffID    string          `json:"diffID"`
	Size      int64           `json:"size"`
	MediaType types.MediaType `json:"mediaType"`
}

// inputs is what a step's key was made of, kept per step position to
// explain the next miss.
type inputs struct {
	Key    string                 `json:"key"`
	Parent string                 `json:"parent"`
	Text   string                 `json:"text"`
	Source string                 `json:"source,omitempty"`
	Files  []buildcontext.FileSum `json:"files,omitempty"`
}

// layerSemantics names what a step's layer holds for its inputs. It is part
// of every step key, so a cache written by a stevedore that built layers
// differently (RUN's system directories, --exclude matching) is never
// served for this one; change it whenever the same inputs give other layers.
const layerSemantics = "layers-10"

func keyOf(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s\n", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (c *stepCache) entryPath(key string) string {
	return filepath.Join(c.dir, "steps", key[:2], key+".json")
}

// lookup returns the cached layer for key if its blob is still stored.
func (c *stepCache) lookup(st *store.Store, key string) (v1.Layer, bool) {
	if c.noCache {
		return nil, false
	}
	if !st.Lease().Use(c.entryPath(key)) {
		return nil, false
	}
	data, err := os.ReadFile(c.entryPath(key))
	if err != nil {
		return nil, false
	}
	var e cachedLayer
	if json.Unmarshal(data, &e) != nil {
		return nil, false
	}
	d, err1 := v1.NewHash(e.Digest)
	diffID, err2 := v1.NewHash(e.DiffID)
	if err1 != nil || err2 != nil || !st.HasBlob(d, e.Size) {
		return nil, false
	}
	return &storedLayer{st: st, digest: d, diffID: diffID, size: e.Size, mt: e.MediaType}, true
}

func (c *stepCache) record(key string, l v1.Layer) error {
	d, err := l.Digest()
	if err != nil {
		return err
	}
	diffID, err := l.DiffID()
	if err != nil {
		return err
	}
	size, err := l.Size()
	if err != nil {
		return err
	}
	mt, err := l.MediaType()
	if err != nil {
		return err
	}
	data, _ := json.Marshal(cachedLayer{Digest: d.String(), DiffID: diffID.String(), Size: size, MediaType: mt})
	return writeAtomic(c.entryPath(key), data)
}

func (c *stepCache) lastPath(scope string) string {
	return filepath.Join(c.dir, "last", keyOf(scope)+".json")
}

// explain compares a missed step's inputs with the last build's at the same
// position and says what changed.
func (c *stepCache) explain(scope string, in inputs, parentRebuilt bool) string {
	if c.noCache {
		return "--no-cache"
	}
	data, err := os.ReadFile(c.lastPath(scope))
	var last inputs
	if err != nil || json.Unmarshal(data, &last) != nil {
		return "not built before"
	}
	switch {
	case last.Key == in.Key:
		return "cached layer is gone from the store"
	case last.Parent != in.Parent:
		if parentRebuilt {
			return "an earlier step was rebuilt"
		}
		return "the base changed"
	case last.Text != in.Text:
		return textChange(last.Text, in.Text)
	}
	if changed := changedFiles(last.Files, in.Files); len(changed) > 0 {
		n := len(changed)
		if len(changed) > 3 {
			changed = append(changed[:3], "…")
		}
		return fmt.Sprintf("%d %s changed: %s", n, plural(n, "file", "files"), strings.Join(changed, ", "))
	}
	if last.Source != in.Source {
		return sourceChange(in.Source)
	}
	return "inputs changed"
}

func (c *stepCache) remember(scope string, in inputs) {
	data, _ := json.Marshal(in)
	_ = writeAtomic(c.lastPath(scope), data)
}

func changedFiles(before, after []buildcontext.FileSum) []string {
	old := map[string]string{}
	for _, f := range before {
		old[f.Path] = f.Sum
	}
	var out []string
	seen := map[string]bool{}
	for _, f := range after {
		seen[f.Path] = true
		if s, ok := old[f.Path]; !ok {
			out = append(out, f.Path+" (added)")
		} else if s != f.Sum {
			out = append(out, f.Path)
		}
	}
	for _, f := range before {
		if !seen[f.Path] {
			out = append(out, f.Path+" (removed)")
		}
	}
	// Match markers ("#0 src") are bookkeeping, not files.
	out = slices.DeleteFunc(out, func(s string) bool { return strings.HasPrefix(s, "#") })
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func writeAtomic(file string, data []byte) error {
	return atomicfile.WriteFile(file, data, 0o600)
}

// sourceChange names what changed among a step's non-context inputs.
func sourceChange(src string) string {
	switch {
	case strings.Contains(src, "stage:"):
		return "the stage it reads from was rebuilt"
	case strings.Contains(src, "url:"):
		return "a downloaded file changed"
	case strings.Contains(src, "image"):
		return "the image it reads from changed"
	}
	return "the files it reads changed"
}

// textChange names what differs between two step descriptions: for RUN, the
// variables, user, directory or mounts it sees; otherwise the instruction.
func textChange(before, after string) string {
	var a, b runKey
	if json.Unmarshal([]byte(before), &a) != nil || json.Unmarshal([]byte(after), &b) != nil || a.Args == nil || b.Args == nil {
		return "the instruction changed"
	}
	switch {
	case !slices.Equal(a.Args, b.Args):
		return "the command changed"
	case !slices.Equal(a.Env, b.Env):
		return envChange(a.Env, b.Env)
	case a.User != b.User:
		return "USER changed"
	case a.Dir != b.Dir:
		return "WORKDIR changed"
	case !slices.Equal(a.Mounts, b.Mounts):
		return "its mounts changed"
	}
	return "the instruction changed"
}

// envChange names the variables (ARG or ENV) whose values differ; values
// are not shown, since build args may carry tokens.
func envChange(before, after []string) string {
	vals := func(env []string) map[string]string {
		m := map[string]string{}
		for _, kv := range env {
			k, v, _ := strings.Cut(kv, "=")
			m[k] = v
		}
		return m
	}
	a, b := vals(before), vals(after)
	var names []string
	for k, v := range b {
		if old, ok := a[k]; !ok || old != v {
			names = append(names, k)
		}
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	return fmt.Sprintf("%s %s changed", plural(len(names), "variable", "variables"), strings.Join(names, ", "))
}
