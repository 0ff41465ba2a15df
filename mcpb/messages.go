package mcpb

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The words of a finding: each names the JSON path, the offending value
// and the fix.

func typeMessage(n *schemaNode, v any) string {
	msg := fmt.Sprintf("want %s, got %s", typeNames(n), jsonTypeName(v))
	if n.Description != "" {
		msg += " (" + n.Description + ")"
	}
	return msg
}

// typeNames renders a type keyword in the schema's order: "a string", "an
// array", "a string, number, boolean or array of strings".
func typeNames(n *schemaNode) string {
	names := slices.Clone([]string(n.Type))
	out := names[0]
	if len(names) > 1 {
		// In a union, say what the array holds: it is not obvious.
		if i := slices.Index(names, "array"); i >= 0 && n.Items != nil && len(n.Items.Type) == 1 {
			names[i] = "array of " + n.Items.Type[0] + "s"
		}
		out = strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
	}
	if strings.ContainsAny(out[:1], "aeiou") {
		return "an " + out
	}
	return "a " + out
}

func constMessage(n *schemaNode, v any) string {
	return fmt.Sprintf("%s is not %q", display(v), *n.Const)
}

func enumMessage(n *schemaNode, v any) string {
	msg := fmt.Sprintf("%s is not one of: %s", display(v), strings.Join(n.Enum, ", "))
	if s, ok := v.(string); ok {
		if hint, ok := n.DidYouMean[strings.ToLower(s)]; ok {
			msg += fmt.Sprintf(" (did you mean %q?)", hint)
		}
	}
	return msg
}

func minLengthMessage(want int) string {
	if want == 1 {
		return "must not be empty"
	}
	return fmt.Sprintf("must be at least %d characters long", want)
}

func patternMessage(n *schemaNode, s string) string {
	if n.Description == "" {
		return fmt.Sprintf("%q does not match %s", s, n.Pattern)
	}
	msg := fmt.Sprintf("%q is not %s", s, n.Description)
	if len(n.Examples) > 0 {
		msg += fmt.Sprintf(" (want e.g. %v)", n.Examples[0])
	}
	return msg
}

func (s *schemaSet) unknownKeyMessage(n *schemaNode, name string) string {
	return fmt.Sprintf("unknown key %q (allowed: %s; remove it or fix its spelling)", name, strings.Join(s.names(n), ", "))
}

// display quotes a string and names any other value's type.
func display(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return jsonTypeName(v)
}

func child(loc []string, name string) []string {
	return append(slices.Clip(loc), name)
}

// locate walks an instance location in doc and returns it as a JSON path
// (server.mcp_config.args[1], user_config["my.key"].type) and the value
// there, nil when there is none.
func locate(doc any, loc []string) (path string, value any) {
	value = doc
	for _, tok := range loc {
		switch c := value.(type) {
		case []any:
			i, _ := strconv.Atoi(tok)
			path, value = indexPath(path, i), nil
			if i >= 0 && i < len(c) {
				value = c[i]
			}
		case map[string]any:
			path, value = joinPath(path, tok), c[tok]
		default:
			path, value = joinPath(path, tok), nil
		}
	}
	return path, value
}

func pathOf(doc any, loc []string) string {
	p, _ := locate(doc, loc)
	return p
}

func valueAt(doc any, loc []string) any {
	_, v := locate(doc, loc)
	return v
}

func jsonTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// pathSafeKeyName is a key that reads unambiguously in a dotted JSON path.
var pathSafeKeyName = regexp.MustCompile(`^[A-Za-z0-9_$-]+$`)

// joinPath appends an object key to a JSON path. Keys that would be
// ambiguous in dotted form (user_config keys, reverse-DNS _meta keys) are
// written as ["key"].
func joinPath(parent, name string) string {
	if !pathSafeKeyName.MatchString(name) {
		return parent + "[" + strconv.Quote(name) + "]"
	}
	if parent == "" {
		return name
	}
	return parent + "." + name
}

func indexPath(parent string, i int) string {
	return parent + "[" + strconv.Itoa(i) + "]"
}
