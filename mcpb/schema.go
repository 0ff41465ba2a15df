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
// command line whose every start reads a manifest. Measured on this
// package's benchmark machine, santhosh-tekuri/jsonschema/v6 adds 2.5 ms to
// every process start (its init compiles the draft metaschemas: mpak
// version went from 3.8 to 6.4 ms) and 6-10 ms and 5 MB to compile these
// files; google/jsonschema-go stops at the first error and reports no
// instance path. evaluate.go applies the subset, loadSchemas refuses a
// keyword outside it, and the tests hold it to santhosh-tekuri/jsonschema
// as the reference implementation: the files validate against the draft
// 2020-12 metaschema, and both give the same findings on every manifest of
// the differential corpus.

//go:embed schema/*.json
var schemaFS embed.FS

// schemaNode is one schema object of the subset the files use.
type schemaNode struct {
	Ref                  string       `json:"$ref"`
	Type                 typeList     `json:"type"`
	Enum                 []string     `json:"enum"`
	Const                *string      `json:"const"`
	Properties           properties   `json:"properties"`
	Required             []string     `json:"required"`
	AdditionalProperties *schemaNode  `json:"additionalProperties"`
	Items                *schemaNode  `json:"items"`
	Pattern              string       `json:"pattern"`
	MinLength            *int         `json:"minLength"`
	Format               string       `json:"format"`
	If                   *schemaNode  `json:"if"`
	Then                 *schemaNode  `json:"then"`
	Else                 *schemaNode  `json:"else"`
	Defs                 schemaByName `json:"$defs"`

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

	// closed is additionalProperties: false.
	closed  bool
	ref     *schemaNode
	pattern *regexp.Regexp
	format  func(string) string
	link    linkKind
}

type schemaByName map[string]*schemaNode

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

// properties keeps the order the file lists them in, for "allowed: ..."
// in unknown-key messages.
type properties struct {
	names []string
	nodes map[string]*schemaNode
}

func (p *properties) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return err
	}
	p.nodes = map[string]*schemaNode{}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := k.(string)
		var n schemaNode
		if err := decodeNode(dec, &n); err != nil {
			return fmt.Errorf("properties.%s: %w", name, err)
		}
		p.names = append(p.names, name)
		p.nodes[name] = &n
	}
	return nil
}

func (n *schemaNode) UnmarshalJSON(b []byte) error {
	if string(b) == "false" {
		*n = schemaNode{closed: true}
		return nil
	}
	type plain schemaNode
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields() // a keyword outside the subset is an error, not ignored
	return dec.Decode((*plain)(n))
}

func decodeNode(dec *json.Decoder, n *schemaNode) error {
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	return n.UnmarshalJSON(raw)
}

// schemaSet is the schema of each manifest version.
type schemaSet struct {
	byVersion map[string]*schemaNode
	// rank orders property names for sorting findings: the latest
	// version's top-level keys first, then the others as the files list
	// them.
	rank map[string]int
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
	files := map[string]*schemaNode{}
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
		if err := json.Unmarshal(data, &n); err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
		files[e.Name()] = &n
	}
	s := &schemaSet{byVersion: map[string]*schemaNode{}, rank: map[string]int{}}
	for _, file := range slices.Sorted(maps.Keys(files)) {
		if err := files[file].walk(func(n *schemaNode) error { return n.prepare(file, files) }); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	}
	for _, v := range SupportedManifestVersions {
		root := files["manifest-"+v+".json"]
		if root == nil {
			return nil, fmt.Errorf("no schema for manifest_version %s", v)
		}
		s.byVersion[v] = root
	}
	// Rank property names by where they first appear: the latest
	// version's top level, then the shared definitions.
	for _, root := range []*schemaNode{s.byVersion[LatestManifestVersion], files["defs.json"]} {
		_ = root.walk(func(n *schemaNode) error {
			for _, name := range n.Properties.names {
				if _, ok := s.rank[name]; !ok {
					s.rank[name] = len(s.rank)
				}
			}
			return nil
		})
	}
	return s, nil
}

// walk calls fn on n and every schema object below it.
func (n *schemaNode) walk(fn func(*schemaNode) error) error {
	if n == nil {
		return nil
	}
	if err := fn(n); err != nil {
		return err
	}
	for _, name := range n.Properties.names {
		if err := n.Properties.nodes[name].walk(fn); err != nil {
			return fmt.Errorf("properties.%s: %w", name, err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(n.Defs)) {
		if err := n.Defs[name].walk(fn); err != nil {
			return fmt.Errorf("$defs.%s: %w", name, err)
		}
	}
	for _, c := range []*schemaNode{n.AdditionalProperties, n.Items, n.If, n.Then, n.Else} {
		if err := c.walk(fn); err != nil {
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
			return fmt.Errorf("$ref %q: want FILE#/$defs/NAME naming a definition", n.Ref)
		}
		n.ref = files[target].Defs[name]
	}
	if n.Pattern != "" {
		re, err := regexp.Compile(n.Pattern)
		if err != nil {
			return fmt.Errorf("pattern: %w", err)
		}
		n.pattern = re
	}
	if n.Format != "" {
		if n.format = stringFormats[n.Format]; n.format == nil {
			return fmt.Errorf("unknown format %q", n.Format)
		}
	}
	if n.Link != "" {
		k, ok := linkKinds[n.Link]
		if !ok {
			return fmt.Errorf("x-link is %q, want web, source or path", n.Link)
		}
		n.link = k
	}
	return nil
}
