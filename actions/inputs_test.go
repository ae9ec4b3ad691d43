package actions

import (
	"slices"
	"strings"
	"testing"
)

// The cases of docker/actions-toolkit's __tests__/util.test.ts
// (getInputList), which build-push-action and metadata-action use to read
// their list inputs.
func TestListAsActionsToolkit(t *testing.T) {
	comma := ListOptions{}
	whole := ListOptions{IgnoreComma: true}
	pgp := strings.Repeat("-----BEGIN PGP-----\nabc\n", 200) + "=Qx1z"
	tests := []struct {
		name  string
		input string
		o     ListOptions
		want  []string
	}{
		{"single line", "bar", comma, []string{"bar"}},
		{"empty", "", comma, nil},
		{"multiline", "bar\nbaz", comma, []string{"bar", "baz"}},
		{"empty lines", "bar\n\nbaz", comma, []string{"bar", "baz"}},
		{"comma", "bar,baz", comma, []string{"bar", "baz"}},
		{"trailing comma", "bar,baz,", comma, []string{"bar", "baz"}},
		{"crlf", "bar\r\nbaz", comma, []string{"bar", "baz"}},
		{"crlf and comma", "bar\r\nbaz,bat", comma, []string{"bar", "baz", "bat"}},
		{"ignore comma", "user/app:cache\ntype=local,src=path/to/dir", whole, []string{"user/app:cache", "type=local,src=path/to/dir"}},
		{"no comments: # is data", "foo=bar\nbar=qux#baz", comma, []string{"foo=bar", "bar=qux#baz"}},
		{"comment lines, no infix", "# ignore this\nfoo=bar\nbar=qux#baz", ListOptions{Comment: true}, []string{"foo=bar", "bar=qux#baz"}},
		{"ignore comma crlf", "user/app:cache\r\ntype=local,src=path/to/dir", whole, []string{"user/app:cache", "type=local,src=path/to/dir"}},
		{"quoted commas split without ignore comma", "linux/amd64\n\"linux/arm64,linux/arm/v7\"", comma, []string{"linux/amd64", "linux/arm64", "linux/arm/v7"}},
		{"multiline values", "GIT_AUTH_TOKEN=abcdefgh,ijklmno=0123456789\n\"MYSECRET=aaaaaaaa\nbbbbbbb\nccccccccc\"\nFOO=bar", whole,
			[]string{"GIT_AUTH_TOKEN=abcdefgh,ijklmno=0123456789", "MYSECRET=aaaaaaaa\nbbbbbbb\nccccccccc", "FOO=bar"}},
		{"multiline values with empty lines", "GIT_AUTH_TOKEN=abcdefgh,ijklmno=0123456789\n\"MYSECRET=aaaaaaaa\nbbbbbbb\nccccccccc\"\nFOO=bar\n\"EMPTYLINE=aaaa\n\nbbbb\nccc\"", whole,
			[]string{"GIT_AUTH_TOKEN=abcdefgh,ijklmno=0123456789", "MYSECRET=aaaaaaaa\nbbbbbbb\nccccccccc", "FOO=bar", "EMPTYLINE=aaaa\n\nbbbb\nccc"}},
		{"trailing new lines kept untrimmed", "\"PRIVATE_SSH_KEY=TEST\nTEST\nTEST\n\n\n\"\n", ListOptions{IgnoreComma: true, KeepWhitespace: true},
			[]string{"PRIVATE_SSH_KEY=TEST\nTEST\nTEST\n\n\n"}},
		{"multiline values without quotes", "GIT_AUTH_TOKEN=abcdefgh,ijklmno=0123456789\nMYSECRET=aaaaaaaa\nbbbbbbb\nccccccccc\nFOO=bar", whole,
			[]string{"GIT_AUTH_TOKEN=abcdefgh,ijklmno=0123456789", "MYSECRET=aaaaaaaa", "bbbbbbb", "ccccccccc", "FOO=bar"}},
		{"large multiline value", "\"GPG_KEY=" + pgp + "\"\nFOO=bar", whole, []string{"GPG_KEY=" + pgp, "FOO=bar"}},
		{"escaped quotes", "GIT_AUTH_TOKEN=abcdefgh,ijklmno=0123456789\n\"MYSECRET=aaaaaaaa\nbbbb\"\"bbb\nccccccccc\"\nFOO=bar", whole,
			[]string{"GIT_AUTH_TOKEN=abcdefgh,ijklmno=0123456789", "MYSECRET=aaaaaaaa\nbbbb\"bbb\nccccccccc", "FOO=bar"}},
		// relax_quotes: a quote inside an unquoted field is data.
		{"inner quote", `org.opencontainers.image.title=say "hi"`, whole, []string{`org.opencontainers.image.title=say "hi"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := List(tt.input, tt.o); !slices.Equal(got, tt.want) {
				t.Errorf("List(%q) = %q, want %q", tt.input, got, tt.want)
			}
		})
	}
}

func TestKeyValueNeverEchoesTheValue(t *testing.T) {
	if k, v, err := KeyValue("secrets", "tok=a=b"); err != nil || k != "tok" || v != "a=b" {
		t.Errorf("KeyValue = %q %q %v", k, v, err)
	}
	_, _, err := KeyValue("secrets", "hunter2-is-my-password")
	if err == nil || strings.Contains(err.Error(), "is-my-password") || !strings.Contains(err.Error(), "input secrets") {
		t.Errorf("err = %v, want an error naming the input without the value", err)
	}
}

// metadata-action's json01 case (__tests__/meta.test.ts): its labels and
// annotations outputs for the same keys.
func TestLabelAndAnnotationLinesAsMetadataAction(t *testing.T) {
	m := map[string]string{
		"foo":                                  "",
		"org.opencontainers.image.created":     "2020-01-10T00:30:00.000Z",
		"org.opencontainers.image.description": "This your first repo!",
		"org.opencontainers.image.licenses":    "MIT",
		"org.opencontainers.image.revision":    "860c1904a1ce19322e91ac35af1ab07466440c37",
		"org.opencontainers.image.source":      "https://github.com/octocat/Hello-World",
		"org.opencontainers.image.title":       "Hello-World",
		"org.opencontainers.image.url":         "https://github.com/octocat/Hello-World",
		"org.opencontainers.image.version":     "dev",
	}
	wantLabels := "foo=\n" +
		"org.opencontainers.image.created=2020-01-10T00:30:00.000Z\n" +
		"org.opencontainers.image.description=This your first repo!\n" +
		"org.opencontainers.image.licenses=MIT\n" +
		"org.opencontainers.image.revision=860c1904a1ce19322e91ac35af1ab07466440c37\n" +
		"org.opencontainers.image.source=https://github.com/octocat/Hello-World\n" +
		"org.opencontainers.image.title=Hello-World\n" +
		"org.opencontainers.image.url=https://github.com/octocat/Hello-World\n" +
		"org.opencontainers.image.version=dev"
	if got := LabelLines(m); got != wantLabels {
		t.Errorf("labels:\n%s\nwant\n%s", got, wantLabels)
	}
	delete(m, "foo")
	levels, err := AnnotationLevels("", []string{"manifest"})
	if err != nil {
		t.Fatal(err)
	}
	got := AnnotationLines(m, levels)
	want := strings.ReplaceAll(strings.TrimPrefix(wantLabels, "foo=\n"), "org.", "manifest:org.")
	if got != want {
		t.Errorf("annotations:\n%s\nwant\n%s", got, want)
	}
	levels, err = AnnotationLevels("manifest,index", nil)
	if err != nil || !slices.Equal(levels, []string{"manifest", "index"}) {
		t.Errorf("levels = %q, %v", levels, err)
	}
	if got := strings.Split(AnnotationLines(map[string]string{"a": "1"}, levels), "\n"); !slices.Equal(got, []string{"manifest:a=1", "index:a=1"}) {
		t.Errorf("two levels: %q", got)
	}
	if _, err := AnnotationLevels("manifest,indx", nil); err == nil || !strings.Contains(err.Error(), `"indx"`) {
		t.Errorf("a bad level: %v", err)
	}
	// localeCompare: case does not split keys apart.
	if got := LabelLines(map[string]string{"com.b": "", "com.Ab": "", "com.aa": ""}); got != "com.aa=\ncom.Ab=\ncom.b=" {
		t.Errorf("order: %q", got)
	}
}

// The cases of docker/metadata-action's __tests__/image.test.ts (Transform),
// given as the images input would hold them, one item a line, plus the
// images cases of its context.test.ts (getInputs).
func TestImagesAsMetadataAction(t *testing.T) {
	tests := []struct {
		input   string
		want    []string
		wantErr string // "" when valid
	}{
		{"name/foo", []string{"name/foo"}, ""},
		{"name/foo,name/bar", []string{"name/foo", "name/bar"}, ""},
		{"name/foo\nname/bar", []string{"name/foo", "name/bar"}, ""},
		// enable=false entries are dropped (meta.ts getImageNames) and names
		// lower-cased (sanitizeImageName).
		{"name=name/bar\nname/foo,enable=false\nname=ghcr.io/UserName/Foo,enable=true", []string{"name/bar", "ghcr.io/username/foo"}, ""},
		{"value=name/foo", nil, `input images, line 1: "value=name/foo": unknown image attribute "value"`},
		{"name/foo,enable=bar", nil, `input images, line 1: "name/foo,enable=bar": enable=bar: want enable=true or enable=false`},
		{"name/foo,bar=baz", nil, `unknown image attribute "bar"`},
		{"name=,enable=true", nil, "the image name is empty"},
		// metadata-action keeps the last name here (its test only passes
		// because any failure counts as "invalid"); stevedore refuses it.
		{"name/foo,name=name/bar,enable=true", nil, "named twice"},
		// meta.test.ts push20: a plain name with enable=false on its line.
		{"org/app\nghcr.io/user/app,enable=false", []string{"org/app"}, ""},
		// context.test.ts: newline lists and # comment lines.
		{"moby/buildkit\nghcr.io/moby/mbuildkit", []string{"moby/buildkit", "ghcr.io/moby/mbuildkit"}, ""},
		{"moby/buildkit\n#comment\nghcr.io/moby/mbuildkit", []string{"moby/buildkit", "ghcr.io/moby/mbuildkit"}, ""},
		// The line named is the line as written, comments and blanks counted.
		{"# images\nname=a/b\n\nname=c/d,enable=maybe", nil, "input images, line 4: "},
		{"name=a/b,enable=false", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.input, func(t *testing.T) {
			got, err := Images(tt.input)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Images(%q) = %q, %v; want an error with %q", tt.input, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("Images(%q) = %q, %v; want %q", tt.input, got, err, tt.want)
			}
		})
	}
}

// context.test.ts: sep-tags, sep-labels and sep-annotations are read
// untrimmed, with a newline as the default.
func TestSeparatorAsMetadataAction(t *testing.T) {
	for in, want := range map[string]string{"": "\n", ",": ",", " ": " ", ", ": ", "} {
		if got := Separator(in); got != want {
			t.Errorf("Separator(%q) = %q, want %q", in, got, want)
		}
	}
	labels := map[string]string{"b": "2", "a": "1"}
	if got := strings.Join(Labels(labels), Separator(",")); got != "a=1,b=2" {
		t.Errorf("labels joined with sep-labels , = %q", got)
	}
	if got := strings.Join(Annotations(labels, []string{"manifest", "index"}), Separator(";")); got != "manifest:a=1;manifest:b=2;index:a=1;index:b=2" {
		t.Errorf("annotations joined with sep-annotations ; = %q", got)
	}
}
