package mcpb

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
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
	if len(found) > 1 {
		s.loadOrder()
		slices.SortStableFunc(found, func(a, b finding) int { return s.compareLocs(a.loc, b.loc) })
	}
	for _, f := range found {
		path, _ := locate(doc, f.loc)
		v.report(path, f.sev, "%s", f.msg)
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

// findings applies one version's schema to doc.
func (s *schemaSet) findings(version string, doc map[string]any) []finding {
	root := s.byVersion[version]
	e := &evaluation{schemas: s, doc: doc}
	e.eval(root, doc, nil, root)
	return e.found
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
