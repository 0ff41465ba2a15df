package mcpb

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// The words of a finding: mpak's messages for the schema library's errors,
// each naming the JSON path, the offending value and the fix.

var printer = message.NewPrinter(language.English)

// translate turns one schema error into findings with mpak's messages: the
// JSON path, the offending value and the fix.
func (s *schemaSet) translate(e *jsonschema.ValidationError, doc map[string]any) []finding {
	loc := e.InstanceLocation
	path, _ := locate(doc, loc)
	node := s.node(e.SchemaURL)
	at := func(code string, sev severity, format string, args ...any) []finding {
		return []finding{{loc: loc, code: code, sev: sev, msg: fmt.Sprintf(format, args...)}}
	}
	switch k := e.ErrorKind.(type) {
	case *kind.Type:
		msg := fmt.Sprintf("want %s, got %s", typeNames(k.Want, node), jsonTypeName(valueAt(doc, loc)))
		if why, ok := node["description"].(string); ok {
			msg += " (" + why + ")"
		}
		return at("type", hard, "%s", msg)
	case *kind.Required:
		var out []finding
		for _, name := range k.Missing {
			sev := soft
			if p, _ := s.property(e.SchemaURL, name); p["x-mpak-hard"] == true {
				sev = hard
			}
			out = append(out, finding{loc: child(loc, name), code: "required", sev: sev, msg: "required field is missing"})
		}
		return out
	case *kind.AdditionalProperties:
		allowed := strings.Join(s.order[e.SchemaURL], ", ")
		var out []finding
		for _, name := range k.Properties {
			out = append(out, finding{loc: child(loc, name), code: "unknown", sev: soft, unknown: true,
				msg: fmt.Sprintf("unknown key %q (allowed: %s; remove it or fix its spelling)", name, allowed)})
		}
		return out
	case *kind.Enum:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = fmt.Sprint(w)
		}
		msg := fmt.Sprintf("%q is not one of: %s", fmt.Sprint(k.Got), strings.Join(want, ", "))
		if hints, ok := node["x-did-you-mean"].(map[string]any); ok {
			if hint, ok := hints[strings.ToLower(fmt.Sprint(k.Got))].(string); ok {
				msg += fmt.Sprintf(" (did you mean %q?)", hint)
			}
		}
		sev := soft
		if node["x-mpak-hard"] == true {
			sev = hard
		}
		return at("enum", sev, "%s", msg)
	case *kind.Format:
		return at("format", soft, "%s", k.Err)
	case *kind.Pattern:
		msg := fmt.Sprintf("%q does not match %s", k.Got, k.Want)
		if what, ok := node["description"].(string); ok {
			msg = fmt.Sprintf("%q is not %s", k.Got, what)
			if ex, ok := node["examples"].([]any); ok && len(ex) > 0 {
				msg += fmt.Sprintf(" (want e.g. %v)", ex[0])
			}
		}
		return at("pattern", soft, "%s", msg)
	case *kind.MinLength:
		if k.Want == 1 {
			return at("minLength", soft, "must not be empty")
		}
		return at("minLength", soft, "is %d characters long, want at least %d", k.Got, k.Want)
	case *linkFinding:
		return at("link", advice, "%s", checkLink(k.kind, path, k.value))
	}
	return at(strings.Join(e.ErrorKind.KeywordPath(), "/"), soft, "%s", e.ErrorKind.LocalizedString(printer))
}

// typeNames renders a type keyword in the schema's order: "a string", "an
// array", "a string, number, boolean or array of strings".
func typeNames(types []string, node map[string]any) string {
	if list, ok := node["type"].([]any); ok && len(list) == len(types) {
		for i, t := range list {
			types[i] = fmt.Sprint(t)
		}
	}
	names := slices.Clone(types)
	out := names[0]
	if len(names) > 1 {
		// In a union, say what the array holds: it is not obvious.
		if i := slices.Index(names, "array"); i >= 0 {
			if items, ok := node["items"].(map[string]any); ok {
				if it, ok := items["type"].(string); ok {
					names[i] = "array of " + it + "s"
				}
			}
		}
		out = strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
	}
	if strings.ContainsAny(out[:1], "aeiou") {
		return "an " + out
	}
	return "a " + out
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
