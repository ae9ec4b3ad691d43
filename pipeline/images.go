package pipeline

import (
	"encoding/csv"
	"errors"
	"fmt"
	"strings"
)

// ImageEntry is one item of docker/metadata-action's images input (and of
// destinations: in stevedore.yaml, which reads the same form): a repository
// and whether it is used.
type ImageEntry struct {
	Name   string
	Enable bool
}

// ImageEntryError is a bad item of an images list; Index counts from 0.
type ImageEntryError struct {
	Index int
	Err   error
}

func (e *ImageEntryError) Error() string { return e.Err.Error() }
func (e *ImageEntryError) Unwrap() error { return e.Err }

// ParseImages reads an images list as metadata-action's image.Transform
// does: a single item of plain names is a comma-separated list (its old
// format); otherwise each item is one image, `NAME` or `name=NAME`, with
// `enable=true|false`. Names are kept as written; SanitizeImageName is
// metadata-action's lower-casing.
//
// Deliberately stricter than metadata-action: an item naming its image
// twice (`a,name=b`) is refused instead of keeping the last name.
func ParseImages(items []string) ([]ImageEntry, error) {
	fieldsOf := make([][]string, len(items))
	for i, it := range items {
		r := csv.NewReader(strings.NewReader(it))
		r.LazyQuotes, r.FieldsPerRecord = true, -1
		rec, err := r.Read()
		if err != nil {
			return nil, &ImageEntryError{Index: i, Err: fmt.Errorf("%q: %v", it, err)}
		}
		fieldsOf[i] = rec
	}
	if len(items) == 1 && !hasAttribute(fieldsOf[0]) {
		var out []ImageEntry
		for _, f := range fieldsOf[0] {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, ImageEntry{Name: f, Enable: true})
			}
		}
		return out, nil
	}
	var out []ImageEntry
	for i, fields := range fieldsOf {
		e, err := parseImageEntry(fields)
		if err != nil {
			return nil, &ImageEntryError{Index: i, Err: fmt.Errorf("%q: %w", items[i], err)}
		}
		out = append(out, e)
	}
	return out, nil
}

func hasAttribute(fields []string) bool {
	for _, f := range fields {
		if strings.Contains(f, "=") {
			return true
		}
	}
	return false
}

func parseImageEntry(fields []string) (ImageEntry, error) {
	e := ImageEntry{Enable: true}
	named := false
	setName := func(n string) error {
		if named {
			return errors.New("the image is named twice; give one name per line (name=REPO)")
		}
		e.Name, named = n, true
		return nil
	}
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok {
			if k == "" {
				continue
			}
			if err := setName(k); err != nil {
				return e, err
			}
			continue
		}
		switch strings.ToLower(k) {
		case "name":
			if err := setName(v); err != nil {
				return e, err
			}
		case "enable":
			if v != "true" && v != "false" {
				return e, fmt.Errorf("enable=%s: want enable=true or enable=false", v)
			}
			e.Enable = v == "true"
		default:
			return e, fmt.Errorf("unknown image attribute %q (want name= or enable=)", k)
		}
	}
	if e.Name == "" {
		return e, errors.New("the image name is empty; write name=REPO (e.g. name=ghcr.io/owner/app)")
	}
	return e, nil
}

// SanitizeImageName lower-cases a registry repository, as registries only
// take lower case (metadata-action's sanitizeImageName); a layout path is a
// file name and keeps its case.
func SanitizeImageName(n string) string {
	if strings.HasPrefix(n, "oci:") {
		return n
	}
	return strings.ToLower(n)
}

// EnabledImages are the names of the enabled entries.
func EnabledImages(entries []ImageEntry) []string {
	var out []string
	for _, e := range entries {
		if e.Enable {
			out = append(out, e.Name)
		}
	}
	return out
}
