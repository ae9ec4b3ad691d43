package pipeline

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ConfigError is a problem in stevedore.yaml at a position, carried as
// values so the CLI can annotate the line without re-parsing the message.
// errors.Is(err, ErrConfig) holds for every ConfigError.
type ConfigError struct {
	File string
	// Line and Column are 1-based; 0 when the problem has no position
	// (an empty file, a missing images: list).
	Line, Column int
	// Key is the setting's path, e.g. "images[0].platforms"; "" at the top.
	Key string
	// Message says what is wrong and, where one is known, the fix.
	Message string
}

func (e *ConfigError) Error() string {
	return ErrConfig.Error() + ": " + e.Position() + ": " + e.Message
}

// Unwrap makes every ConfigError an ErrConfig.
func (e *ConfigError) Unwrap() error { return ErrConfig }

// Position is "FILE:LINE:COLUMN", "FILE:LINE" or "FILE".
func (e *ConfigError) Position() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Column)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	return e.File
}

func configError(file string, line, col int, key, format string, args ...any) *ConfigError {
	return &ConfigError{File: file, Line: line, Column: col, Key: key, Message: fmt.Sprintf(format, args...)}
}

// typeError finds the setting whose value does not fit its type, as the
// decoder does not say which key it was decoding: the deepest key whose
// value alone fails to decode.
func typeError(file string, n *yaml.Node, t reflect.Type, path string) *ConfigError {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			if e := typeError(file, c, t, path); e != nil {
				return e
			}
		}
		return nil
	}
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if f, ok := fieldByTag(t, k.Value); ok {
				if e := typeError(file, v, f, join(path, k.Value)); e != nil {
					return e
				}
			}
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, c := range n.Content {
			if e := typeError(file, c, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); e != nil {
				return e
			}
		}
	case t.Kind() == reflect.Map && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if e := typeError(file, n.Content[i+1], t.Elem(), join(path, n.Content[i].Value)); e != nil {
				return e
			}
		}
	}
	if err := n.Decode(reflect.New(t).Interface()); err != nil {
		return configError(file, n.Line, n.Column, path, "%s must be %s, not %s", keyName(path), describeType(t), describeNode(n))
	}
	return nil
}

func fieldByTag(t reflect.Type, tag string) (reflect.Type, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name == tag {
			return f.Type, true
		}
	}
	return nil, false
}

func keyName(path string) string {
	if path == "" {
		return "the file"
	}
	return path
}

func describeType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice:
		return "a list (e.g. [a, b])"
	case reflect.Map:
		return "a mapping of names to values"
	case reflect.Struct:
		return "a mapping of settings"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64:
		return "a whole number"
	}
	return "a string"
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	}
	return fmt.Sprintf("%q", n.Value)
}
