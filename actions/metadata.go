package actions

import (
	"fmt"
	"sort"
	"strings"
)

// Outputs in docker/metadata-action's formats, so a workflow that read
// steps.meta.outputs.labels or .annotations reads stevedore's unchanged.

// Labels is metadata-action's labels output as items: KEY=VALUE sorted by
// key, joined with the sep-labels input.
func Labels(m map[string]string) []string {
	var lines []string
	for _, k := range sortedKeys(m) {
		lines = append(lines, k+"="+m[k])
	}
	return lines
}

// LabelLines is Labels one a line (the default sep-labels).
func LabelLines(m map[string]string) string { return strings.Join(Labels(m), "\n") }

// Annotations is metadata-action's annotations output as items:
// LEVEL:KEY=VALUE, every key once per level (DOCKER_METADATA_ANNOTATIONS_LEVELS,
// default manifest), joined with the sep-annotations input.
func Annotations(m map[string]string, levels []string) []string {
	var lines []string
	for _, l := range levels {
		for _, k := range sortedKeys(m) {
			lines = append(lines, l+":"+k+"="+m[k])
		}
	}
	return lines
}

// AnnotationLines is Annotations one a line (the default sep-annotations).
func AnnotationLines(m map[string]string, levels []string) string {
	return strings.Join(Annotations(m, levels), "\n")
}

// AnnotationLevels reads DOCKER_METADATA_ANNOTATIONS_LEVELS: a comma-separated
// list of manifest, index, manifest-descriptor and index-descriptor (buildx's
// annotation levels). Empty gives def.
func AnnotationLevels(value string, def []string) ([]string, error) {
	if strings.TrimSpace(value) == "" {
		return def, nil
	}
	var out []string
	for _, l := range strings.Split(value, ",") {
		l = strings.TrimSpace(l)
		switch l {
		case "manifest", "index", "manifest-descriptor", "index-descriptor":
			out = append(out, l)
		case "":
		default:
			return nil, fmt.Errorf("DOCKER_METADATA_ANNOTATIONS_LEVELS: unknown level %q (want manifest, index, manifest-descriptor or index-descriptor, comma-separated)", l)
		}
	}
	return out, nil
}

// sortedKeys orders keys as metadata-action's localeCompare does for the
// keys labels have: letters compare without case first (lower case first on
// a tie), so com.Example sorts between com.a and com.f, not before both.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := strings.ToLower(keys[i]), strings.ToLower(keys[j])
		if a != b {
			return a < b
		}
		return keys[i] > keys[j] // lower case (the greater byte) first
	})
	return keys
}
