package mcpclients

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tailscale/hujson"
)

// jsonDoc is a JSON (or JSONC) configuration file as a syntax tree that
// packs back to the same bytes: edits touch only the servers object, so
// comments, odd formatting and everything mpak does not know stay as they
// were. hujson parses it; the edits below splice members in with the
// file's own indentation, because hujson's Patch and Format would
// reformat the whole file.
type jsonDoc struct {
	root hujson.Value
	key  string
	nl   string // the file's line ending: "\r\n" when it uses them
}

func parseJSON(data []byte, key string) (*jsonDoc, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		data = []byte("{}\n") // an empty file is an empty configuration
	}
	v, err := hujson.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if _, ok := v.Value.(*hujson.Object); !ok {
		return nil, fmt.Errorf("not a JSON object at the top level")
	}
	d := &jsonDoc{root: v, key: key, nl: lineEnding(data)}
	if m := d.member(d.rootObject(), key); m != nil {
		if _, ok := m.Value.Value.(*hujson.Object); !ok {
			return nil, fmt.Errorf("%q is not a JSON object", key)
		}
	}
	return d, nil
}

func (d *jsonDoc) rootObject() *hujson.Object { return d.root.Value.(*hujson.Object) }

func (d *jsonDoc) servers() *hujson.Object {
	if m := d.member(d.rootObject(), d.key); m != nil {
		return m.Value.Value.(*hujson.Object)
	}
	return nil
}

// member finds name in obj; the last one wins, as in encoding/json.
func (d *jsonDoc) member(obj *hujson.Object, name string) *hujson.ObjectMember {
	for i := len(obj.Members) - 1; i >= 0; i-- {
		if lit, ok := obj.Members[i].Name.Value.(hujson.Literal); ok && lit.String() == name {
			return &obj.Members[i]
		}
	}
	return nil
}

func (d *jsonDoc) names() []string {
	s := d.servers()
	if s == nil {
		return nil
	}
	var out []string
	for _, m := range s.Members {
		if lit, ok := m.Name.Value.(hujson.Literal); ok {
			out = append(out, lit.String())
		}
	}
	return out
}

func (d *jsonDoc) entry(name string) (Entry, bool, error) {
	s := d.servers()
	if s == nil {
		return Entry{}, false, nil
	}
	m := d.member(s, name)
	if m == nil {
		return Entry{}, false, nil
	}
	v := m.Value.Clone()
	v.Standardize()
	var e Entry
	if err := json.Unmarshal(v.Pack(), &e); err != nil {
		return Entry{}, true, fmt.Errorf("server %q: %w", name, err)
	}
	return e, true, nil
}

func (d *jsonDoc) bytes() []byte { return d.root.Pack() }

// set puts the entry under name, replacing the value of an existing
// member in place or appending a member at the end of the servers object
// (creating that object at the end of the file's when missing).
func (d *jsonDoc) set(name string, value any) error {
	unit := d.indentUnit()
	root := d.rootObject()
	rootInd := memberIndent(root, "", unit)
	if s := d.servers(); s != nil {
		ind := memberIndent(s, rootInd, unit)
		rendered, err := renderJSON(value, ind, unit, d.nl)
		if err != nil {
			return err
		}
		if m := d.member(s, name); m != nil {
			m.Value.Value = rendered
			return nil
		}
		appendMember(s, name, rendered, ind, rootInd, d.nl)
		return nil
	}
	rendered, err := renderJSON(map[string]any{name: value}, rootInd, unit, d.nl)
	if err != nil {
		return err
	}
	appendMember(root, d.key, rendered, rootInd, "", d.nl)
	return nil
}

// remove deletes the member name from the servers object.
func (d *jsonDoc) remove(name string) bool {
	s := d.servers()
	if s == nil {
		return false
	}
	for i := len(s.Members) - 1; i >= 0; i-- {
		lit, ok := s.Members[i].Name.Value.(hujson.Literal)
		if !ok || lit.String() != name {
			continue
		}
		removed := s.Members[i]
		s.Members = append(s.Members[:i], s.Members[i+1:]...)
		if i == len(s.Members) && i > 0 {
			// The new last member keeps the file's trailing-comma habit,
			// and gets back the comment that ended its line.
			s.Members[i-1].Value.AfterExtra = removed.Value.AfterExtra
			if before := removed.Name.BeforeExtra; bytes.Index(before, []byte(d.nl)) > 0 {
				head := before[:bytes.Index(before, []byte(d.nl))]
				s.AfterExtra = append(append(hujson.Extra{}, head...), s.AfterExtra...)
			}
		}
		if len(s.Members) == 0 {
			// An object left empty closes on the line it opened.
			s.AfterExtra = nil
		}
		return true
	}
	return false
}

// indentUnit guesses one level of the file's indentation from the first
// member of the top-level object; two spaces when there is nothing to
// learn from.
func (d *jsonDoc) indentUnit() string {
	if ind, ok := lineIndent(d.rootObject()); ok && ind != "" {
		return ind
	}
	return "  "
}

// lineIndent is the whitespace that starts the line of obj's first
// member, when it starts a line.
func lineIndent(obj *hujson.Object) (string, bool) {
	if len(obj.Members) == 0 {
		return "", false
	}
	before := string(obj.Members[0].Name.BeforeExtra)
	i := strings.LastIndexByte(before, '\n')
	if i < 0 {
		return "", false
	}
	tail := before[i+1:]
	if strings.Trim(tail, " \t") != "" {
		return "", false
	}
	return tail, true
}

// memberIndent is the indentation of obj's members: what its first
// member has, else one unit more than the line obj closes on, else one
// unit more than parent, the indentation of the member obj is the value
// of.
func memberIndent(obj *hujson.Object, parent, unit string) string {
	if ind, ok := lineIndent(obj); ok {
		return ind
	}
	closing := string(obj.AfterExtra)
	if i := strings.LastIndexByte(closing, '\n'); i >= 0 && strings.Trim(closing[i+1:], " \t") == "" {
		return closing[i+1:] + unit
	}
	return parent + unit
}

// renderJSON formats value as it would appear at indentation ind, with
// the file's line endings (JSON strings hold no raw newline to confuse).
func renderJSON(value any, ind, unit, nl string) (hujson.ValueTrimmed, error) {
	b, err := json.MarshalIndent(value, ind, unit)
	if err != nil {
		return nil, err
	}
	b = bytes.ReplaceAll(b, []byte("\n"), []byte(nl))
	v, err := hujson.Parse(b)
	if err != nil {
		return nil, err
	}
	return v.Value, nil
}

// appendMember adds "name": value as the last member of obj, on a line of
// its own at indentation ind. A comment that ended the previous last
// member's line stays on that line. An object that was empty ({}) is
// opened onto lines, closing at indentation closing.
func appendMember(obj *hujson.Object, name string, value hujson.ValueTrimmed, ind, closing, nl string) {
	after := obj.AfterExtra
	var head, tail hujson.Extra
	switch i := bytes.Index(after, []byte(nl)); {
	case len(obj.Members) == 0 && i < 0:
		tail = hujson.Extra(nl + closing)
	case i < 0:
		tail = after // the object closes on its last member's line; so it does still
	default:
		head, tail = after[:i], after[i:]
	}
	m := hujson.ObjectMember{
		Name:  hujson.Value{BeforeExtra: append(append(hujson.Extra{}, head...), nl+ind...), Value: hujson.String(name)},
		Value: hujson.Value{BeforeExtra: hujson.Extra(" "), Value: value},
	}
	if n := len(obj.Members); n > 0 && obj.Members[n-1].Value.AfterExtra != nil {
		m.Value.AfterExtra = hujson.Extra{} // the file ends members with commas
	}
	obj.Members = append(obj.Members, m)
	obj.AfterExtra = tail
}

// lineEnding is "\r\n" for a file whose lines end so, else "\n".
func lineEnding(data []byte) string {
	if i := bytes.IndexByte(data, '\n'); i > 0 && data[i-1] == '\r' {
		return "\r\n"
	}
	return "\n"
}
