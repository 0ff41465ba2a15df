package mcpb

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// The manifest rules live in schema/: one JSON Schema (draft 2020-12) per
// manifest_version, manifest-0.1.json to manifest-0.4.json, sharing the
// definitions of defs.json. They are mpak's own schema files, written to
// state what the mcpb CLI's schemas state (testdata/mcpbdiff holds the two to
// the same verdicts), and hand-kept rather than generated from the Manifest
// struct: the struct says what a field holds, but not what a version allows,
// which keys are required, the enums or the string formats, and struct tags
// for all of that would be a schema written in a worse language.
//
// The schemas are the strict rules, the CLI's. Lenient reading uses the same
// files and downgrades a finding to a warning unless the schema marks it
// x-mpak-hard (what no reader can do without: a wrong type, server.type,
// the command line). The registry rules mpak adds to the CLI's are a small
// overlay in Go (rules.go), each named in DIFFERENCES.md.
//
// Keywords beginning with x- are mpak's: x-mpak-hard, x-did-you-mean (wrong
// enum value → the right one) and x-link (which addresses a string may
// hold: web, source or path; any but http(s) draws a warning). A pattern's
// description and first example make its error message; a type's
// description is added to its message. Formats mcpb-url and mcpb-email are
// the CLI's URL and email checks (formats.go).
//
// Why not a JSON Schema library at run time: the files use a small subset
// of draft 2020-12, and the well-kept Go validators cost too much for a
// command line that must start fast and reads a manifest on every run.
// santhosh-tekuri/jsonschema/v6 adds 2.5 ms to every process start (its
// init compiles the draft metaschemas: `mpak version` went from 3.8 to
// 6.4 ms) and 6-10 ms and 5 MB to compile these files on the first read;
// google/jsonschema-go stops at the first error and reports no instance
// path. evaluate.go applies the subset and loadSchemas refuses any other
// keyword; loading costs about 0.6 ms and 300 KB on a process's first
// manifest read (BenchmarkLoadSchemas). The tests hold the evaluator to
// santhosh-tekuri/jsonschema as the reference implementation: the files
// validate against the draft 2020-12 metaschema, and both give the same
// findings on every manifest of the differential corpus.

//go:embed schema/*.json
var schemaFS embed.FS

// schemaNode is one schema object of the subset the files use.
type schemaNode struct {
	Ref                  string                 `json:"$ref"`
	Type                 typeList               `json:"type"`
	Enum                 []string               `json:"enum"`
	Const                *string                `json:"const"`
	Properties           map[string]*schemaNode `json:"properties"`
	Required             []string               `json:"required"`
	AdditionalProperties *additional            `json:"additionalProperties"`
	Items                *schemaNode            `json:"items"`
	Pattern              string                 `json:"pattern"`
	MinLength            *int                   `json:"minLength"`
	Format               string                 `json:"format"`
	If                   *schemaNode            `json:"if"`
	Then                 *schemaNode            `json:"then"`
	Else                 *schemaNode            `json:"else"`
	Defs                 map[string]*schemaNode `json:"$defs"`

	// Annotations that make messages.
	Description string            `json:"description"`
	Examples    []any             `json:"examples"`
	Hard        bool              `json:"x-mpak-hard"`
	DidYouMean  map[string]string `json:"x-did-you-mean"`
	Link        string            `json:"x-link"`

	// Annotations for readers of the files.
	Schema  string `json:"$schema"`
	ID      string `json:"$id"`
	Comment string `json:"$comment"`
	Title   string `json:"title"`

	loc     string // file#/json/pointer, to find the properties' order
	ref     *schemaNode
	pattern *regexp.Regexp
	format  func(string) string
	link    linkKind
}

// additional is additionalProperties: false, or a schema for the values.
type additional struct {
	closed bool
	schema *schemaNode
}

func (a *additional) UnmarshalJSON(b []byte) error {
	if string(b) == "false" {
		a.closed = true
		return nil
	}
	a.schema = new(schemaNode)
	return decodeStrict(b, a.schema)
}

// typeList is "type": a name or a list of names.
type typeList []string

func (t *typeList) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*t = typeList{one}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(t))
}

// decodeStrict refuses a keyword outside the subset rather than ignoring
// it: a rule the evaluator cannot apply must not pass unnoticed.
func decodeStrict(b []byte, n *schemaNode) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(n)
}

// schemaSet is the schema of each manifest version.
type schemaSet struct {
	byVersion map[string]*schemaNode
	files     map[string][]byte

	// The order of properties as the files list them matters only for
	// messages: "allowed: ..." and the order of findings. It is read from
	// the files when a manifest first has a finding.
	orderOnce sync.Once
	order     map[string][]string // schemaNode.loc → property names
	rank      map[string]int      // property name → first position
}

// schemas loads the embedded files once. They are part of the program, so
// a broken file is a bug that TestSchemasLoad catches.
var schemas = sync.OnceValue(func() *schemaSet {
	s, err := loadSchemas()
	if err != nil {
		panic(fmt.Sprintf("mcpb: embedded manifest schemas: %v", err))
	}
	return s
})

var stringFormats = map[string]func(string) string{
	"mcpb-url":   checkURL,
	"mcpb-email": checkEmail,
}

var linkKinds = map[string]linkKind{"web": linkURL, "source": linkSource, "path": linkPath}

func loadSchemas() (*schemaSet, error) {
	s := &schemaSet{byVersion: map[string]*schemaNode{}, files: map[string][]byte{}}
	nodes := map[string]*schemaNode{}
	entries, err := schemaFS.ReadDir("schema")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		data, err := schemaFS.ReadFile(path.Join("schema", e.Name()))
		if err != nil {
			return nil, err
		}
		var n schemaNode
		if err := decodeStrict(data, &n); err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
		s.files[e.Name()] = data
		nodes[e.Name()] = &n
	}
	for _, file := range slices.Sorted(maps.Keys(nodes)) {
		err := nodes[file].walk(file+"#", func(n *schemaNode, loc string) error {
			n.loc = loc
			return n.prepare(file, nodes)
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	}
	for _, v := range SupportedManifestVersions {
		root := nodes["manifest-"+v+".json"]
		if root == nil {
			return nil, fmt.Errorf("no schema for manifest_version %s", v)
		}
		s.byVersion[v] = root
	}
	return s, nil
}

// names returns n's properties in the order the file lists them.
func (s *schemaSet) names(n *schemaNode) []string {
	s.loadOrder()
	return s.order[n.loc]
}

func (s *schemaSet) loadOrder() {
	s.orderOnce.Do(func() {
		s.order = map[string][]string{}
		for file, data := range s.files {
			// The files decoded once already; they cannot fail now.
			_ = propertyOrder(file, data, s.order)
		}
		// Rank property names by where they first appear: the latest
		// version's top level, then the shared definitions.
		s.rank = map[string]int{}
		latest := s.byVersion[LatestManifestVersion]
		var defs []string
		for loc := range s.order {
			if strings.HasPrefix(loc, "defs.json#") {
				defs = append(defs, loc)
			}
		}
		slices.Sort(defs)
		for _, loc := range append([]string{latest.loc}, defs...) {
			for _, name := range s.order[loc] {
				if _, ok := s.rank[name]; !ok {
					s.rank[name] = len(s.rank)
				}
			}
		}
	})
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
				key, _ := k.(string)
				keys = append(keys, key)
				if err := walk(ptr + "/" + key); err != nil {
					return err
				}
			}
			if parent, ok := strings.CutSuffix(ptr, "/properties"); ok {
				out[file+"#"+parent] = keys
			}
			_, err = dec.Token()
			return err
		case json.Delim('['):
			for dec.More() {
				if err := walk(ptr + "/[]"); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		}
		return nil
	}
	return walk("")
}

// walk calls fn on n and every schema object below it, with its location
// (the JSON pointer of its keys, as propertyOrder writes them).
func (n *schemaNode) walk(loc string, fn func(n *schemaNode, loc string) error) error {
	if n == nil {
		return nil
	}
	if err := fn(n, loc); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(n.Properties)) {
		if err := n.Properties[name].walk(loc+"/properties/"+name, fn); err != nil {
			return err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(n.Defs)) {
		if err := n.Defs[name].walk(loc+"/$defs/"+name, fn); err != nil {
			return err
		}
	}
	if n.AdditionalProperties != nil {
		if err := n.AdditionalProperties.schema.walk(loc+"/additionalProperties", fn); err != nil {
			return err
		}
	}
	for i, c := range []*schemaNode{n.Items, n.If, n.Then, n.Else} {
		if err := c.walk(loc+"/"+[]string{"items", "if", "then", "else"}[i], fn); err != nil {
			return err
		}
	}
	return nil
}

// prepare resolves $ref, compiles the pattern and looks up the format and
// link kind.
func (n *schemaNode) prepare(file string, files map[string]*schemaNode) error {
	if n.Ref != "" {
		target, ptr, _ := strings.Cut(n.Ref, "#")
		if target == "" {
			target = file
		}
		name, ok := strings.CutPrefix(ptr, "/$defs/")
		if files[target] == nil || !ok || files[target].Defs[name] == nil {
			return fmt.Errorf("%s: $ref %q: want FILE#/$defs/NAME naming a definition", n.loc, n.Ref)
		}
		n.ref = files[target].Defs[name]
	}
	if n.Pattern != "" {
		re, err := regexp.Compile(n.Pattern)
		if err != nil {
			return fmt.Errorf("%s: pattern: %w", n.loc, err)
		}
		n.pattern = re
	}
	if n.Format != "" {
		if n.format = stringFormats[n.Format]; n.format == nil {
			return fmt.Errorf("%s: unknown format %q", n.loc, n.Format)
		}
	}
	if n.Link != "" {
		k, ok := linkKinds[n.Link]
		if !ok {
			return fmt.Errorf("%s: x-link is %q, want web, source or path", n.loc, n.Link)
		}
		n.link = k
	}
	return nil
}
