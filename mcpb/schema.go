package mcpb

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/message"
)

// The manifest rules live in schema/: one JSON Schema (draft 2020-12) per
// manifest_version, manifest-0.1.json to manifest-0.4.json, sharing the
// definitions of defs.json. They are mpak's own schema files, written to
// state what the mcpb CLI's schemas state (testdata/mcpbdiff holds the two to
// the same verdicts), and they are hand-kept rather than generated from the
// Manifest struct: the struct says what a field holds, but not what a
// version allows, which keys are required, the enums or the string formats,
// and tags for all of that would be a schema written in a worse language.
//
// The schemas are the strict rules, the CLI's. Lenient reading uses the same
// files and downgrades a finding to a warning unless the schema marks it
// x-mpak-hard (what no reader can do without: a wrong type, server.type,
// the command line). The registry rules mpak adds to the CLI's are a small
// overlay in Go (rules.go), each named in DIFFERENCES.md.
//
// Keywords the library does not know are annotations: x-mpak-hard,
// x-did-you-mean (wrong enum value → the right one), and a pattern's
// description and first example, which make its error message. x-link is a
// keyword with a meaning (linkVocabulary): a non-http(s) address draws a
// warning. Formats mcpb-url and mcpb-email are the CLI's (formats.go).

//go:embed schema/*.json
var schemaFS embed.FS

// schemaBase is the base URL of the schema files' $id.
const schemaBase = "https://github.com/mpak-oci/mpak/mcpb/schema/"

// schemaSet is the compiled schema of each manifest version, and the
// decoded files for the annotations the validator reads.
type schemaSet struct {
	byVersion map[string]*jsonschema.Schema
	// files maps a file name to its decoded JSON.
	files map[string]any
	// order maps "file#pointer" of an object with properties to their
	// names in file order, for "allowed: ..." in unknown-key messages.
	order map[string][]string
	// rank orders property names for sorting findings: the latest
	// version's top-level keys first, then the others as the files list
	// them.
	rank map[string]int
}

// schemas compiles the embedded files once. They are part of the program,
// so a broken file is a bug that TestSchemasCompile catches.
var schemas = sync.OnceValue(func() *schemaSet {
	s, err := compileSchemas()
	if err != nil {
		panic(fmt.Sprintf("mcpb: embedded manifest schemas: %v", err))
	}
	return s
})

func compileSchemas() (*schemaSet, error) {
	s := &schemaSet{
		byVersion: map[string]*jsonschema.Schema{},
		files:     map[string]any{},
		order:     map[string][]string{},
		rank:      map[string]int{},
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.RegisterFormat(&jsonschema.Format{Name: "mcpb-url", Validate: stringFormat(checkURL)})
	c.RegisterFormat(&jsonschema.Format{Name: "mcpb-email", Validate: stringFormat(checkEmail)})
	c.RegisterVocabulary(linkVocabulary)
	c.AssertVocabs()
	entries, err := schemaFS.ReadDir("schema")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		data, err := schemaFS.ReadFile(path.Join("schema", e.Name()))
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
		if err := c.AddResource(schemaBase+e.Name(), doc); err != nil {
			return nil, err
		}
		s.files[e.Name()] = doc
		if err := propertyOrder(e.Name(), data, s.order); err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
	}
	for _, v := range SupportedManifestVersions {
		sch, err := c.Compile(schemaBase + "manifest-" + v + ".json")
		if err != nil {
			return nil, err
		}
		s.byVersion[v] = sch
	}
	names := slices.Clone(s.order[schemaBase+"manifest-"+LatestManifestVersion+".json#"])
	for _, keys := range s.order {
		names = append(names, keys...)
	}
	for _, name := range names {
		if _, ok := s.rank[name]; !ok {
			s.rank[name] = len(s.rank)
		}
	}
	return s, nil
}

// stringFormat adapts a check that returns a message into a format.
func stringFormat(check func(string) string) func(any) error {
	return func(v any) error {
		s, ok := v.(string)
		if !ok {
			return nil // the type keyword reports it
		}
		if msg := check(s); msg != "" {
			return errors.New(msg)
		}
		return nil
	}
}

// node returns the schema object at a location "<base>file#/pointer", or
// nil.
func (s *schemaSet) node(loc string) map[string]any {
	file, ptr, _ := strings.Cut(strings.TrimPrefix(loc, schemaBase), "#")
	var cur any = s.files[file]
	for _, tok := range pointerTokens(ptr) {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	m, _ := cur.(map[string]any)
	return m
}

// property returns the subschema of property name that applies at loc: in
// the object at loc or, for a keyword under if/then/else, in the nearest
// enclosing object that declares it.
func (s *schemaSet) property(loc, name string) (map[string]any, string) {
	for {
		if props, ok := s.node(loc)["properties"].(map[string]any); ok {
			if p, ok := props[name].(map[string]any); ok {
				return p, loc
			}
		}
		i := strings.LastIndexByte(loc, '/')
		if i < 0 || !strings.Contains(loc[:i], "#") {
			return nil, ""
		}
		loc = loc[:i]
	}
}

func pointerTokens(ptr string) []string {
	if ptr == "" || ptr == "/" {
		return nil
	}
	toks := strings.Split(strings.TrimPrefix(ptr, "/"), "/")
	for i, t := range toks {
		toks[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(t)
	}
	return toks
}

// propertyOrder records, for every "properties" object in a schema file,
// its keys in the order they are written (a decoded map forgets it).
func propertyOrder(file string, data []byte, out map[string][]string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	var walk func(ptr string) error
	walk = func(ptr string) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			var keys []string
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				key := k.(string)
				keys = append(keys, key)
				if err := walk(ptr + "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(key)); err != nil {
					return err
				}
			}
			if strings.HasSuffix(ptr, "/properties") {
				out[schemaBase+file+"#"+strings.TrimSuffix(ptr, "/properties")] = keys
			}
			_, err = dec.Token()
			return err
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				if err := walk(ptr + "/" + strconv.Itoa(i)); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		}
		return nil
	}
	if err := walk(""); err != nil && err != io.EOF {
		return err
	}
	return nil
}

// linkVocabulary defines x-link: "web" (an http(s) page), "source" (also
// npm's git+https) or "path" (a file in the bundle, or an http(s) address).
// Any other scheme is reported as a linkFinding, which the validator turns
// into a warning: the CLI's schema allows any URI, but registries do not
// publish such links and `mpak bundle pack --strict` refuses them.
var linkVocabulary = &jsonschema.Vocabulary{
	URL: schemaBase + "vocab/link",
	Compile: func(_ *jsonschema.CompilerContext, obj map[string]any) (jsonschema.SchemaExt, error) {
		v, ok := obj["x-link"]
		if !ok {
			return nil, nil
		}
		switch v {
		case "web":
			return linkCheck(linkURL), nil
		case "source":
			return linkCheck(linkSource), nil
		case "path":
			return linkCheck(linkPath), nil
		}
		return nil, fmt.Errorf("x-link is %v, want web, source or path", v)
	},
}

type linkCheck linkKind

func (k linkCheck) Validate(ctx *jsonschema.ValidatorContext, v any) {
	if s, ok := v.(string); ok && checkLink(linkKind(k), "", s) != "" {
		ctx.AddError(&linkFinding{kind: linkKind(k), value: s})
	}
}

// linkFinding is the error kind of x-link. The message needs the field's
// JSON path, so the validator writes it (checkLink).
type linkFinding struct {
	kind  linkKind
	value string
}

func (*linkFinding) KeywordPath() []string { return []string{"x-link"} }
func (f *linkFinding) LocalizedString(*message.Printer) string {
	return fmt.Sprintf("%q is not an http(s) address", f.value)
}
