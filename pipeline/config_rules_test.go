package pipeline

import (
	"errors"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/version"
)

// A bad tag rule or flavor line is reported at its line of stevedore.yaml,
// not as a line number of the rules text.
func TestConfigTagRuleErrorsNameTheYAMLLine(t *testing.T) {
	tests := []struct {
		name, yaml string
		line, col  int
		key, want  string
	}{
		{"top-level block", "images:\n  - name: app\ntags: |\n  type=sha\n  type=semver,patern={{version}}\n", 5, 0, "tags", `unknown key "patern" for type=semver (did you mean "pattern"?)`},
		{"image block, after a comment", "images:\n  - name: app\n    tags: |\n      # rules\n      type=ref,event=branch\n      type=raw,value=x,enable={{is_defualt_branch}}\n", 6, 0, "images[0].tags", "is_defualt_branch"},
		{"plain scalar", "images:\n  - name: app\n    tags: type=shaa\n", 3, 11, "images[0].tags", `unknown type "shaa"`},
		{"flavor", "images:\n  - name: app\nflavor: |\n  latest=auto\n  prefx=v\n", 5, 0, "flavor", `unknown key "prefx"`},
		{"second image", "images:\n  - name: a\n  - name: b\n    tags: |\n      type=ref,event=brnch\n", 5, 0, "images[1].tags", `unknown event "brnch"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), "stevedore.yaml", func(string) (string, bool) { return "", false })
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a ConfigError", err)
			}
			if ce.Line != tt.line || ce.Column != tt.col || ce.Key != tt.key || !strings.Contains(ce.Message, tt.want) {
				t.Errorf("got %s (key %s, %d:%d), want line %d col %d key %s and %q", ce, ce.Key, ce.Line, ce.Column, tt.line, tt.col, tt.key, tt.want)
			}
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "stevedore.yaml:") {
				t.Errorf("err = %v", err)
			}
			if strings.Contains(err.Error(), "tag rules line") {
				t.Errorf("the message still counts lines of the rules text: %v", err)
			}
		})
	}
	// A good configuration parses, and the rules it holds still plan.
	cfg, err := Parse([]byte("images:\n  - name: app\n    tags: |\n      type=sha\n      type=raw,value=edge,enable={{is_default_branch}}\n"), "stevedore.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if rs, err := version.ParseRules(cfg.Images[0].Tags); err != nil || len(rs) != 2 {
		t.Errorf("rules = %v, %v", rs, err)
	}
}
