package mcpb

import (
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"
)

// evaluation applies one version's schema to a decoded manifest, the way
// draft 2020-12 defines the keywords the schema files use, and collects
// every finding rather than stopping at the first.
type evaluation struct {
	schemas *schemaSet
	doc     map[string]any
	found   []finding
	// probe counts the "if" schemas being evaluated: they decide which
	// branch applies and report nothing themselves.
	probe int
}

func (e *evaluation) add(f finding) {
	if e.probe == 0 {
		e.found = append(e.found, f)
	}
}

// eval applies n to v at loc and reports whether v is valid. owner is the
// schema object whose properties a required keyword names: n itself, or
// the object around an if/then/else.
//
// As in the reference implementation, a failed type, const, enum or format
// ends the checks of its schema object: a value of the wrong type is one
// finding, not one per keyword. Hence x-link sits beside a $ref to the
// format rather than next to it.
func (e *evaluation) eval(n *schemaNode, v any, loc []string, owner *schemaNode) bool {
	if len(n.Type) > 0 && !slices.Contains(n.Type, jsonType(v)) {
		e.add(finding{loc: loc, code: "type", sev: hard, msg: typeMessage(n, v)})
		return false
	}
	s, isString := v.(string)
	if n.Const != nil && (!isString || s != *n.Const) {
		e.add(finding{loc: loc, code: "const", sev: soft, msg: constMessage(n, v)})
		return false
	}
	if n.Enum != nil && (!isString || !slices.Contains(n.Enum, s)) {
		e.add(finding{loc: loc, code: "enum", sev: severityOf(n.Hard), msg: enumMessage(n, v)})
		return false
	}
	if n.format != nil && isString {
		if msg := n.format(s); msg != "" {
			e.add(finding{loc: loc, code: "format", sev: soft, msg: msg})
			return false
		}
	}
	ok := true
	if n.ref != nil {
		ok = e.eval(n.ref, v, loc, n.ref) && ok
	}
	switch v := v.(type) {
	case map[string]any:
		ok = e.object(n, v, loc, owner) && ok
	case []any:
		if n.Items != nil {
			for i, item := range v {
				ok = e.eval(n.Items, item, child(loc, strconv.Itoa(i)), n.Items) && ok
			}
		}
	case string:
		if n.MinLength != nil && utf8.RuneCountInString(v) < *n.MinLength {
			e.add(finding{loc: loc, code: "minLength", sev: soft, msg: minLengthMessage(*n.MinLength)})
			ok = false
		}
		if n.pattern != nil && !n.pattern.MatchString(v) {
			e.add(finding{loc: loc, code: "pattern", sev: soft, msg: patternMessage(n, v)})
			ok = false
		}
	}
	if n.If != nil {
		e.probe++
		holds := e.eval(n.If, v, loc, n)
		e.probe--
		branch := n.Else
		if holds {
			branch = n.Then
		}
		if branch != nil {
			ok = e.eval(branch, v, loc, n) && ok
		}
	}
	if n.link != noLink && isString {
		// Advice: it does not make the value invalid.
		if msg := checkLink(n.link, pathOf(e.doc, loc), s); msg != "" {
			e.add(finding{loc: loc, code: "link", sev: advice, msg: msg})
		}
	}
	return ok
}

func (e *evaluation) object(n *schemaNode, obj map[string]any, loc []string, owner *schemaNode) bool {
	ok := true
	for name, p := range n.Properties {
		if val, present := obj[name]; present {
			ok = e.eval(p, val, child(loc, name), p) && ok
		}
	}
	for _, name := range n.Required {
		if _, present := obj[name]; present {
			continue
		}
		p := n.Properties[name]
		if p == nil && owner != nil {
			p = owner.Properties[name]
		}
		e.add(finding{loc: child(loc, name), code: "required", sev: severityOf(p != nil && p.Hard), msg: "required field is missing"})
		ok = false
	}
	if ap := n.AdditionalProperties; ap != nil {
		for name, val := range obj {
			if _, declared := n.Properties[name]; declared {
				continue
			}
			if ap.closed {
				e.add(finding{loc: child(loc, name), code: "unknown", sev: soft, unknown: true, msg: e.schemas.unknownKeyMessage(n, name)})
				ok = false
				continue
			}
			ok = e.eval(ap.schema, val, child(loc, name), ap.schema) && ok
		}
	}
	return ok
}

// jsonType names the JSON type of a decoded value.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number, float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

func severityOf(isHard bool) severity {
	if isHard {
		return hard
	}
	return soft
}
