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

// Problem is one finding about a manifest.json.
type Problem struct {
	// Path is the JSON path of the offending value, such as
	// "server.mcp_config.command", "user_config.api_key.type" or
	// "tools[2].name". It is empty for the document as a whole.
	Path    string
	Message string
	// Warning is true when the problem does not stop the bundle from being
	// used (for example a deprecated key, or an unknown key when lenient).
	Warning bool
}

// String renders "path: message".
func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// ValidationError carries every error found in a manifest.json, so that a
// publisher can fix them all in one go instead of one per run.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("invalid manifest.json: ")
		b.WriteString(p.String())
	}
	return b.String()
}

// severity decides whether a finding is an error or a warning.
type severity uint8

const (
	// hard findings make a bundle unusable: always errors. In the schema,
	// a wrong type and whatever is marked x-mpak-hard.
	hard severity = iota
	// soft findings break the schema but not the bundle: errors when
	// strict, warnings when lenient (reading other people's bundles).
	soft
	// advice is always a warning.
	advice
)

// validator judges one decoded manifest against the schema of its version
// and the registry rules.
type validator struct {
	version string
	strict  bool
	errs    []Problem
	warns   []Problem
}

func (v *validator) report(path string, sev severity, format string, args ...any) {
	p := Problem{Path: path, Message: fmt.Sprintf(format, args...)}
	if sev == advice || (sev == soft && !v.strict) {
		p.Warning = true
		v.warns = append(v.warns, p)
		return
	}
	v.errs = append(v.errs, p)
}

// finding is a schema error in the validator's terms.
type finding struct {
	loc  []string // the instance location, as JSON pointer tokens
	code string   // type, required, unknown, enum, ... (what went wrong)
	sev  severity
	msg  string
	// unknown marks a key the schema does not define: it is removed before
	// the typed decode, which matches keys case-insensitively.
	unknown bool
}

func (f finding) id() string { return f.code + "\x00" + strings.Join(f.loc, "\x00") }

// checkSchema validates doc against the schema of v.version, reports what
// it finds and removes unknown keys from doc.
//
// A key or value that a later manifest_version allows (icons in 0.2, type
// "uv" in 0.3) is judged by the latest schema and reported as not allowed in
// this version: a soft finding, so lenient reading keeps and checks it.
func (v *validator) checkSchema(doc map[string]any) {
	s := schemas()
	found := s.findings(v.version, doc)
	if len(found) > 0 && v.version != LatestManifestVersion {
		found = s.versionFindings(v.version, found, doc)
	}
	slices.SortStableFunc(found, func(a, b finding) int { return s.compareLocs(a.loc, b.loc) })
	for _, f := range found {
		v.report(renderPath(doc, f.loc), f.sev, "%s", f.msg)
	}
	for _, f := range found {
		if f.unknown {
			if parent, ok := valueAt(doc, f.loc[:len(f.loc)-1]).(map[string]any); ok {
				delete(parent, f.loc[len(f.loc)-1])
			}
		}
	}
}

// versionFindings compares the findings of version with those of the
// latest version. A finding the latest version does not have is a version
// rule; a finding only the latest has is about a key this version does not
// define, which lenient reading keeps and so must check.
func (s *schemaSet) versionFindings(version string, found []finding, doc map[string]any) []finding {
	latest := s.findings(LatestManifestVersion, doc)
	inLatest := ids(latest)
	inMine := ids(found)
	later := SupportedManifestVersions[slices.Index(SupportedManifestVersions, version)+1:]
	idsOf := map[string]map[string]bool{}
	var out []finding
	for _, f := range found {
		if inLatest[f.id()] {
			out = append(out, f)
			continue
		}
		since := LatestManifestVersion
		for _, w := range later[:len(later)-1] {
			if idsOf[w] == nil {
				idsOf[w] = ids(s.findings(w, doc))
			}
			if !idsOf[w][f.id()] {
				since = w
				break
			}
		}
		f.sev, f.unknown = soft, false
		switch f.code {
		case "unknown":
			f.msg = fmt.Sprintf("not allowed in manifest_version %s (added in %s; raise manifest_version or remove the key)", version, since)
		case "enum":
			f.msg = fmt.Sprintf("%q is not allowed in manifest_version %s (added in %s; raise manifest_version to %s)",
				valueAt(doc, f.loc), version, since, since)
		}
		out = append(out, f)
	}
	for _, f := range latest {
		if !inMine[f.id()] {
			out = append(out, f)
		}
	}
	return out
}

func ids(fs []finding) map[string]bool {
	m := make(map[string]bool, len(fs))
	for _, f := range fs {
		m[f.id()] = true
	}
	return m
}

// findings validates doc against one version's schema.
func (s *schemaSet) findings(version string, doc map[string]any) []finding {
	err := s.byVersion[version].Validate(doc)
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return []finding{{code: "schema", sev: hard, msg: err.Error()}}
	}
	var out []finding
	for _, leaf := range leaves(ve, nil) {
		out = append(out, s.translate(leaf, doc)...)
	}
	// A value of the wrong type fails its enum or format too; the type is
	// the finding worth reading.
	wrongType := map[string]bool{}
	for _, f := range out {
		if f.code == "type" {
			wrongType[strings.Join(f.loc, "\x00")] = true
		}
	}
	return slices.DeleteFunc(out, func(f finding) bool {
		return f.code != "type" && wrongType[strings.Join(f.loc, "\x00")]
	})
}

func leaves(e *jsonschema.ValidationError, out []*jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return append(out, e)
	}
	for _, c := range e.Causes {
		out = leaves(c, out)
	}
	return out
}

var printer = message.NewPrinter(language.English)

// translate turns one schema error into findings with mpak's messages: the
// JSON path, the offending value and the fix.
func (s *schemaSet) translate(e *jsonschema.ValidationError, doc map[string]any) []finding {
	loc := e.InstanceLocation
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
		return at("link", advice, "%s", checkLink(k.kind, renderPath(doc, loc), k.value))
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

// valueAt returns the value at an instance location, or nil.
func valueAt(doc any, loc []string) any {
	cur := doc
	for _, tok := range loc {
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
	return cur
}

// renderPath writes an instance location as a JSON path:
// server.mcp_config.args[1], user_config["my.key"].type.
func renderPath(doc any, loc []string) string {
	p := ""
	cur := doc
	for _, tok := range loc {
		if arr, ok := cur.([]any); ok {
			i, _ := strconv.Atoi(tok)
			p = indexPath(p, i)
			cur = nil
			if i >= 0 && i < len(arr) {
				cur = arr[i]
			}
			continue
		}
		p = joinPath(p, tok)
		m, _ := cur.(map[string]any)
		cur = m[tok]
	}
	return p
}

// compareLocs orders findings as the schema orders keys, array items by
// index, and keys the schema does not know last.
func (s *schemaSet) compareLocs(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] == b[i] {
			continue
		}
		ai, errA := strconv.Atoi(a[i])
		bi, errB := strconv.Atoi(b[i])
		if errA == nil && errB == nil {
			return ai - bi
		}
		ra, okA := s.rank[a[i]]
		rb, okB := s.rank[b[i]]
		switch {
		case okA && okB:
			return ra - rb
		case okA:
			return -1
		case okB:
			return 1
		}
		return strings.Compare(a[i], b[i])
	}
	return len(a) - len(b)
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

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
