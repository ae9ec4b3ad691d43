package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var (
	digestRE   = regexp.MustCompile(`sha256[:-][0-9a-f]{64}`)
	durationRE = regexp.MustCompile(`("duration_seconds": )[0-9.e-]+`)
	keyRE      = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// checkJSONConvention fails t unless doc follows the CLI's JSON convention
// (README, "JSON output"): lowercase snake_case keys, no null anywhere
// (empty lists are []), durations as *_seconds numbers.
func checkJSONConvention(t *testing.T, doc string) {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, doc)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case nil:
			t.Errorf("%s is null; an empty list is [] and an absent value is left out", path)
		case map[string]any:
			for k, x := range v {
				// Map keys that are data (library names, labels,
				// annotations) are not fields; the ledger keeps its
				// established camelCase pair.
				if !keyRE.MatchString(k) && !dataMap(path) && k != "mediaType" && k != "schemaVersion" {
					t.Errorf("%s.%s: keys are lowercase snake_case", path, k)
				}
				if strings.HasSuffix(k, "_ns") || k == "duration" {
					t.Errorf("%s.%s: durations are *_seconds, in seconds", path, k)
				}
				walk(path+"."+k, x)
			}
		case []any:
			for i, x := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), x)
			}
		}
	}
	walk("$", v)
}

// dataMap reports whether the object at path maps data to data (its keys
// are names the user or an image chose, not fields).
func dataMap(path string) bool {
	for _, s := range []string{".libraries", ".labels", ".annotations", ".build_args", ".platform_builders"} {
		if strings.HasSuffix(path, s) {
			return true
		}
	}
	return false
}

// golden compares doc, normalized (the given strings replaced, digests
// numbered in order of appearance, durations zeroed), with
// testdata/json/NAME.json; -update rewrites it.
func golden(t *testing.T, name, doc string, replace ...string) {
	t.Helper()
	checkJSONConvention(t, doc)
	doc = strings.NewReplacer(replace...).Replace(doc)
	// A digest in a tag (sha256-HEX.sig) is the same digest, with the
	// same number.
	seen := map[string]int{}
	doc = digestRE.ReplaceAllStringFunc(doc, func(d string) string {
		hex := d[len("sha256:"):]
		if _, ok := seen[hex]; !ok {
			seen[hex] = len(seen) + 1
		}
		return fmt.Sprintf("sha256%s<%d>", d[len("sha256"):len("sha256:")], seen[hex])
	})
	doc = durationRE.ReplaceAllString(doc, "${1}0")
	file := filepath.Join("testdata", "json", name+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(want, []byte(doc)) {
		t.Errorf("%s differs (go test -run %s -update rewrites it):\ngot:\n%s\nwant:\n%s", file, t.Name(), doc, want)
	}
}

func TestJSONVersion(t *testing.T) {
	r := stevedore(t, nil, "", "version", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	// Values depend on the build; the golden file holds the keys.
	var v map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatal(err)
	}
	var placeholders func(any) any
	placeholders = func(x any) any {
		switch x := x.(type) {
		case map[string]any:
			for k, y := range x {
				x[k] = placeholders(y)
			}
			return x
		case string:
			return "string"
		}
		return x
	}
	out, _ := json.MarshalIndent(placeholders(v), "", "  ")
	checkJSONConvention(t, r.stdout)
	golden(t, "version", string(out)+"\n")
}

func TestJSONPin(t *testing.T) {
	dir := t.TempDir()
	web, api := "sha256:"+strings.Repeat("1", 64), "sha256:"+strings.Repeat("2", 64)
	ledgerFile := filepath.Join(dir, "release.json")
	ledgerDoc := `{"version":"1.5.0","images":[{"name":"web","digest":"` + web + `","platforms":[],"destinations":[
  {"ref":"ghcr.io/acme/web@` + web + `","tags":["1.5.0","latest"]}]},
  {"name":"api","digest":"` + api + `","platforms":[],"destinations":[{"ref":"ghcr.io/acme/api@` + api + `","tags":["2.0.0"]}]}]}`
	if err := os.WriteFile(ledgerFile, []byte(ledgerDoc), 0o644); err != nil {
		t.Fatal(err)
	}
	deploy := filepath.Join(dir, "deploy")
	if err := os.MkdirAll(deploy, 0o755); err != nil {
		t.Fatal(err)
	}
	manifest := "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: ghcr.io/acme/web:1.5.0\n  - image: ghcr.io/acme/api:2.0.0\n"
	if err := os.WriteFile(filepath.Join(deploy, "app.yaml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}

	check := stevedore(t, nil, "", "pin", "--check", "--json", deploy)
	if check.code != exitVerify {
		t.Errorf("check: exit %d: %s", check.code, check.stderr)
	}
	golden(t, "pin-check", check.stdout, dir, "$DIR")

	write := stevedore(t, nil, "", "pin", "--from", ledgerFile, "--write", "--json", deploy)
	if write.code != 0 {
		t.Fatalf("write: exit %d: %s", write.code, write.stderr)
	}
	golden(t, "pin-write", write.stdout, dir, "$DIR")

	// Nothing left to change: empty lists, not null.
	again := stevedore(t, nil, "", "pin", "--from", ledgerFile, "--write", "--json", deploy)
	golden(t, "pin-write-nothing", again.stdout, dir, "$DIR")
	clean := stevedore(t, nil, "", "pin", "--check", "--json", deploy)
	golden(t, "pin-check-clean", clean.stdout, dir, "$DIR")
}

func TestJSONBuild(t *testing.T) {
	base := registrytest.ServeBusybox(t)
	reg, _, _ := strings.Cut(base, "/")
	ctxDir := t.TempDir()
	// Two stages on one base: the base is listed once.
	df := "FROM " + base + " AS tools\nFROM " + base + "\nCOPY hello.txt /hello.txt\nCOPY --from=tools /bin/busybox /tools/busybox\n"
	for n, c := range map[string]string{"Dockerfile": df, "hello.txt": "hi\n"} {
		if err := os.WriteFile(filepath.Join(ctxDir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "image")
	env := map[string]string{"SOURCE_DATE_EPOCH": "1700000000", "XDG_CACHE_HOME": t.TempDir()}
	r := stevedore(t, env, "", "build", ctxDir, "--output", "oci:"+out, "--json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	golden(t, "build", r.stdout, ctxDir, "$CONTEXT", out, "$OUT", reg, "$REGISTRY", runtime.GOOS+"/"+runtime.GOARCH, "$PLATFORM")
}
