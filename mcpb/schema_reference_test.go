package mcpb

import (
	"bytes"
	"errors"
	"go/parser"
	"go/token"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// The evaluator (evaluate.go) implements the subset of JSON Schema the
// schema files use. These tests hold it to santhosh-tekuri/jsonschema, a
// complete draft 2020-12 implementation kept out of the binaries for its
// start-up cost (see schema.go).

const schemaBase = "https://github.com/mpak-oci/mpak/mcpb/schema/"

// referenceSchemas compiles the files with the reference implementation,
// which checks each one against the draft 2020-12 metaschema.
func referenceSchemas(t testing.TB) map[string]*jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	for name, check := range stringFormats {
		c.RegisterFormat(&jsonschema.Format{Name: name, Validate: func(v any) error {
			if s, ok := v.(string); ok && check(s) != "" {
				return errors.New(check(s))
			}
			return nil
		}})
	}
	entries, err := schemaFS.ReadDir("schema")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := schemaFS.ReadFile(path.Join("schema", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		if id, _ := doc.(map[string]any)["$id"].(string); id != schemaBase+e.Name() {
			t.Errorf("%s: $id is %q, want %q", e.Name(), id, schemaBase+e.Name())
		}
		if err := c.AddResource(schemaBase+e.Name(), doc); err != nil {
			t.Fatal(err)
		}
	}
	out := map[string]*jsonschema.Schema{}
	for _, v := range SupportedManifestVersions {
		sch, err := c.Compile(schemaBase + "manifest-" + v + ".json")
		if err != nil {
			t.Fatalf("manifest-%s.json is not a valid draft 2020-12 schema: %v", v, err)
		}
		out[v] = sch
	}
	return out
}

// referenceFindings lists the reference implementation's findings as
// "kind location".
func referenceFindings(sch *jsonschema.Schema, doc map[string]any) []string {
	err := sch.Validate(doc)
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	var out []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		for _, c := range e.Causes {
			walk(c)
		}
		if len(e.Causes) > 0 {
			return
		}
		at := func(code string, loc []string) { out = append(out, code+" "+strings.Join(loc, "/")) }
		switch k := e.ErrorKind.(type) {
		case *kind.Type:
			at("type", e.InstanceLocation)
		case *kind.Const:
			at("const", e.InstanceLocation)
		case *kind.Enum:
			at("enum", e.InstanceLocation)
		case *kind.Format:
			at("format", e.InstanceLocation)
		case *kind.MinLength:
			at("minLength", e.InstanceLocation)
		case *kind.Pattern:
			at("pattern", e.InstanceLocation)
		case *kind.Required:
			for _, m := range k.Missing {
				at("required", child(e.InstanceLocation, m))
			}
		case *kind.AdditionalProperties:
			for _, p := range k.Properties {
				at("unknown", child(e.InstanceLocation, p))
			}
		default:
			at("unexpected:"+strings.Join(e.ErrorKind.KeywordPath(), "/"), e.InstanceLocation)
		}
	}
	walk(ve)
	slices.Sort(out)
	return out
}

func evaluatorFindings(version string, doc map[string]any) []string {
	var out []string
	for _, f := range schemas().findings(version, doc) {
		if f.code != "link" { // x-link is mpak's keyword: advice only
			out = append(out, f.code+" "+strings.Join(f.loc, "/"))
		}
	}
	slices.Sort(out)
	return out
}

// TestSchemaAgainstReference: on every manifest of the differential corpus
// and the testdata, judged by every version's schema, the evaluator finds
// exactly what the reference implementation finds.
func TestSchemaAgainstReference(t *testing.T) {
	t.Parallel()
	ref := referenceSchemas(t)
	cases, _ := loadDiffCorpus(t)
	var checked, invalid int
	for _, c := range cases {
		for _, v := range SupportedManifestVersions {
			doc, err := decodeDocument(c.Manifest)
			if err != nil {
				continue
			}
			want := referenceFindings(ref[v], doc)
			got := evaluatorFindings(v, doc)
			if !slices.Equal(got, want) {
				t.Errorf("%s, manifest_version %s schema:\nevaluator: %q\nreference: %q", c.Name, v, got, want)
			}
			checked++
			if len(want) > 0 {
				invalid++
			}
		}
	}
	if invalid < checked/4 || invalid == checked {
		t.Errorf("%d of %d judgements invalid: the corpus no longer exercises both outcomes", invalid, checked)
	}
	t.Logf("%d judgements agree (%d invalid)", checked, invalid)
}

// FuzzSchemaAgainstReference looks for a manifest on which the evaluator
// and the reference implementation disagree:
//
//	go test ./mcpb -run '^$' -fuzz FuzzSchemaAgainstReference -fuzztime 1m
func FuzzSchemaAgainstReference(f *testing.F) {
	ref := referenceSchemas(f)
	cases, _ := loadDiffCorpus(f)
	for i, c := range cases {
		if i%8 == 0 {
			f.Add([]byte(c.Manifest))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := decodeDocument(data)
		if err != nil {
			return
		}
		for _, v := range SupportedManifestVersions {
			if got, want := evaluatorFindings(v, doc), referenceFindings(ref[v], doc); !slices.Equal(got, want) {
				t.Fatalf("manifest_version %s schema:\nevaluator: %q\nreference: %q", v, got, want)
			}
		}
	})
}

// TestNoSchemaLibraryAtRunTime: the reference implementation stays in the
// tests. Linked into the package, its init would run at every start of
// every binary that reads bundles (see schema.go).
func TestNoSchemaLibraryAtRunTime(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			if strings.Contains(imp.Path.Value, "jsonschema") {
				t.Errorf("%s imports %s: JSON Schema libraries belong in the tests", file, imp.Path.Value)
			}
		}
	}
}
