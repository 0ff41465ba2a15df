package mcpb

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
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
	// hard findings make a bundle unusable: always errors.
	hard severity = iota
	// soft findings break the schema but not the bundle: errors when
	// strict, warnings when lenient (reading other people's bundles).
	soft
	// advice is always a warning.
	advice
)

// kind is the JSON shape a schema node accepts.
type kind uint8

const (
	kindAny kind = iota
	kindString
	kindBool
	kindNumber
	kindArray  // items checked by elem
	kindObject // fixed, strict key set
	kindRecord // free keys, values checked by elem
	// kindConfigDefault is user_config.*.default:
	// string | number | boolean | string[].
	kindConfigDefault
)

var kindNames = map[kind]string{
	kindString:        "a string",
	kindBool:          "a boolean",
	kindNumber:        "a number",
	kindArray:         "an array",
	kindObject:        "an object",
	kindRecord:        "an object",
	kindConfigDefault: "a string, number, boolean or array of strings",
}

// node is one schema node. The schemas below are built from these so that a
// reader can diff them against the upstream JSON Schemas key by key.
type node struct {
	kind kind
	elem *node // array items, record values
	keys []key // object keys, in the order problems are reported

	enum     []string
	enumSev  severity
	enumHint map[string]string // wrong value → suggested fix
	// enumSince gates enum values added after 0.1, such as server.type "uv".
	enumSince map[string]string

	// format checks a string; it returns "" when the value is fine.
	format    func(string) string
	formatSev severity

	// link marks a field holding an address, checked by checkLink. Its
	// finding is advice: the schema allows any URI, but mpak pack --strict
	// refuses it and the registry APIs leave it out.
	link linkKind
}

type requirement uint8

const (
	optional requirement = iota
	requiredSoft
	requiredHard
)

type key struct {
	name  string
	node  *node
	req   requirement
	since string // first manifest_version that defines the key
	// optionalIf waives req for the given parent object.
	optionalIf func(parent map[string]any) bool
}

func str() *node                { return &node{kind: kindString} }
func boolean() *node            { return &node{kind: kindBool} }
func number() *node             { return &node{kind: kindNumber} }
func arrayOf(elem *node) *node  { return &node{kind: kindArray, elem: elem} }
func recordOf(elem *node) *node { return &node{kind: kindRecord, elem: elem} }
func object(keys ...key) *node  { return &node{kind: kindObject, keys: keys} }
func anyValue() *node           { return &node{kind: kindAny} }
func urlString() *node {
	return &node{kind: kindString, format: checkURL, formatSev: soft, link: linkURL}
}
func pathOrURL() *node { return &node{kind: kindString, link: linkPath} }
func nonEmpty(sev severity) *node {
	return &node{kind: kindString, format: checkNonEmpty, formatSev: sev}
}

// opt keys may be absent; a missing req key breaks the schema (soft); a
// missing must key leaves the bundle unusable (hard, even when lenient).
func opt(name string, n *node) key    { return key{name: name, node: n} }
func req(name string, n *node) key    { return key{name: name, node: n, req: requiredSoft} }
func must(name string, n *node) key   { return key{name: name, node: n, req: requiredHard} }
func (k key) from(version string) key { k.since = version; return k }

var (
	iconSizeRE      = regexp.MustCompile(`^\d+x\d+$`)
	localeRE        = regexp.MustCompile(`^[A-Za-z0-9]{2,8}(?:-[A-Za-z0-9]{1,8})*$`)
	localeResRE     = regexp.MustCompile(`(?i)\$\{locale\}`)
	pathSafeKeyName = regexp.MustCompile(`^[A-Za-z0-9_$-]+$`)
)

// manifestSchema is the union of all versions' keys; key.since and
// node.enumSince carve out each version. The upstream schemas differ only
// in privacy_policies (0.2), icons/localization/_meta (0.3) and server.type
// "uv" (0.4).
var manifestSchema = func() *node {
	override := object(
		opt("command", str()),
		opt("args", arrayOf(str())),
		opt("env", recordOf(str())),
	)
	mcpConfig := object(
		// The CLI takes an empty command; a host cannot run it, so a
		// strict pack refuses it (registry rule command-not-empty).
		must("command", nonEmpty(soft)),
		opt("args", arrayOf(str())),
		opt("env", recordOf(str())),
		// Keys are Node's process.platform names; the schema leaves them
		// free, and so do we.
		opt("platform_overrides", recordOf(override)),
	)

	serverType := &node{
		kind:      kindString,
		enum:      []string{ServerPython, ServerNode, ServerBinary, ServerUV},
		enumSev:   hard,
		enumSince: map[string]string{ServerUV: ManifestVersion04},
		enumHint:  map[string]string{"nodejs": "node", "python3": "python", "exe": "binary"},
	}

	userConfigOption := object(
		must("type", &node{
			kind:    kindString,
			enum:    []string{ConfigString, ConfigNumber, ConfigBoolean, ConfigDirectory, ConfigFile},
			enumSev: hard,
			enumHint: map[string]string{
				"integer": "number", "bool": "boolean", "path": "file", "folder": "directory",
			},
		}),
		req("title", str()),
		req("description", str()),
		opt("required", boolean()),
		opt("default", &node{kind: kindConfigDefault}),
		opt("multiple", boolean()),
		opt("sensitive", boolean()),
		opt("min", number()),
		opt("max", number()),
	)

	platform := &node{
		kind:     kindString,
		enum:     []string{"darwin", "win32", "linux"},
		enumSev:  soft,
		enumHint: map[string]string{"windows": "win32", "macos": "darwin", "mac": "darwin", "osx": "darwin"},
	}

	return object(
		opt("$schema", str()),
		// The version keys are checked by detectVersion before the walk.
		opt("manifest_version", anyValue()),
		opt("dxt_version", anyValue()),
		// The CLI takes an empty name, and so do we: the bundle is named by
		// its OCI reference. Catalogs show nothing, hence the advice.
		must("name", nonEmpty(advice)),
		opt("display_name", str()),
		must("version", str()),
		must("description", str()),
		opt("long_description", str()),
		must("author", object(
			must("name", str()),
			opt("email", &node{kind: kindString, format: checkEmail, formatSev: soft}),
			opt("url", urlString()),
		)),
		opt("repository", object(
			req("type", str()),
			req("url", &node{kind: kindString, format: checkURL, formatSev: soft, link: linkSource}),
		)),
		opt("homepage", urlString()),
		opt("documentation", urlString()),
		opt("support", urlString()),
		opt("icon", pathOrURL()),
		opt("icons", arrayOf(object(
			req("src", pathOrURL()),
			req("size", &node{kind: kindString, format: checkIconSize, formatSev: soft}),
			opt("theme", &node{kind: kindString, format: checkNotZeroLength, formatSev: soft}),
		))).from(ManifestVersion03),
		opt("screenshots", arrayOf(pathOrURL())),
		opt("localization", object(
			req("resources", &node{kind: kindString, format: checkLocaleResources, formatSev: soft}),
			req("default_locale", &node{kind: kindString, format: checkLocale, formatSev: soft}),
		)).from(ManifestVersion03),
		must("server", object(
			must("type", serverType),
			// The CLI takes an empty entry_point; pack refuses it with the
			// other entry point checks (registry rule entry-point-in-bundle).
			must("entry_point", nonEmpty(soft)),
			// Upstream's released 0.4 schema still requires mcp_config for
			// "uv", but MANIFEST.md and the unreleased discriminated-union
			// schema make it optional there: uv bundles are launched by the
			// host from pyproject.toml. We follow the documented direction.
			key{name: "mcp_config", node: mcpConfig, req: requiredHard, optionalIf: isUVServer},
		)),
		opt("tools", arrayOf(object(
			req("name", str()),
			opt("description", str()),
		))),
		opt("tools_generated", boolean()),
		opt("prompts", arrayOf(object(
			req("name", str()),
			opt("description", str()),
			opt("arguments", arrayOf(str())),
			req("text", str()),
		))),
		opt("prompts_generated", boolean()),
		opt("keywords", arrayOf(str())),
		opt("license", str()),
		opt("privacy_policies", arrayOf(urlString())).from(ManifestVersion02),
		opt("compatibility", object(
			opt("claude_desktop", str()),
			opt("platforms", arrayOf(platform)),
			opt("runtimes", object(
				opt("python", str()),
				opt("node", str()),
			)),
		)),
		opt("user_config", recordOf(userConfigOption)),
		opt("_meta", recordOf(recordOf(anyValue()))).from(ManifestVersion03),
	)
}()

// versionBefore reports whether manifest version a predates b. Both are
// known versions; comparing indexes keeps "0.10" from sorting before "0.2".
func versionBefore(a, b string) bool {
	return slices.Index(SupportedManifestVersions, a) < slices.Index(SupportedManifestVersions, b)
}

func isUVServer(server map[string]any) bool { return server["type"] == ServerUV }

// validator walks a decoded manifest against manifestSchema.
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

// check validates val against n and returns it with unknown keys removed,
// so that the typed decode that follows sees exactly the known keys.
func (v *validator) check(path string, n *node, val any) any {
	if n.kind == kindAny {
		return val
	}
	if !v.hasKind(n.kind, val) {
		v.report(path, hard, "want %s, got %s", kindNames[n.kind], jsonTypeName(val))
		return val
	}
	switch n.kind {
	case kindString:
		v.checkString(path, n, val.(string))
	case kindNumber:
		return v.checkNumber(path, val.(json.Number))
	case kindArray:
		items := val.([]any)
		for i, item := range items {
			items[i] = v.check(indexPath(path, i), n.elem, item)
		}
	case kindRecord:
		obj := val.(map[string]any)
		for _, k := range sortedKeys(obj) {
			obj[k] = v.check(joinPath(path, k), n.elem, obj[k])
		}
	case kindObject:
		v.checkObject(path, n, val.(map[string]any))
	case kindConfigDefault:
		if items, ok := val.([]any); ok {
			for i, item := range items {
				if _, ok := item.(string); !ok {
					v.report(indexPath(path, i), hard, "want a string, got %s (an array default holds strings only)", jsonTypeName(item))
				}
			}
		} else if num, ok := val.(json.Number); ok {
			return v.checkNumber(path, num)
		}
	}
	return val
}

// checkNumber accepts a number beyond float64, as the CLI does (JavaScript
// reads 1e400 as Infinity), and returns the nearest finite value for the
// typed view: ±Infinity would make the Manifest impossible to encode as
// JSON again. Manifest.Raw keeps the number as written.
func (v *validator) checkNumber(path string, num json.Number) any {
	f, err := num.Float64()
	if err == nil {
		return num
	}
	v.report(path, advice, "number %s is beyond the range of a 64-bit float and reads as %s; use a value up to ±1.79e308", num, map[bool]string{true: "-Infinity", false: "Infinity"}[f < 0])
	return json.Number(strconv.FormatFloat(max(-math.MaxFloat64, min(f, math.MaxFloat64)), 'g', -1, 64))
}

func (v *validator) hasKind(k kind, val any) bool {
	switch k {
	case kindString:
		_, ok := val.(string)
		return ok
	case kindBool:
		_, ok := val.(bool)
		return ok
	case kindNumber:
		_, ok := val.(json.Number)
		return ok
	case kindArray:
		_, ok := val.([]any)
		return ok
	case kindObject, kindRecord:
		_, ok := val.(map[string]any)
		return ok
	case kindConfigDefault:
		switch val.(type) {
		case string, bool, json.Number, []any:
			return true
		}
		return false
	}
	return true
}

func (v *validator) checkString(path string, n *node, s string) {
	if n.link != noLink {
		if msg := checkLink(n.link, path, s); msg != "" {
			v.report(path, advice, "%s", msg)
		}
	}
	if n.format != nil {
		if msg := n.format(s); msg != "" {
			v.report(path, n.formatSev, "%s", msg)
		}
	}
	if n.enum == nil {
		return
	}
	if since, gated := n.enumSince[s]; gated && versionBefore(v.version, since) {
		v.report(path, soft, "%q is not allowed in manifest_version %s (added in %s; raise manifest_version to %s)",
			s, v.version, since, since)
		return
	}
	if slices.Contains(n.enum, s) {
		return
	}
	allowed := make([]string, 0, len(n.enum))
	for _, e := range n.enum {
		if since, gated := n.enumSince[e]; !gated || !versionBefore(v.version, since) {
			allowed = append(allowed, e)
		}
	}
	msg := fmt.Sprintf("%q is not one of: %s", s, strings.Join(allowed, ", "))
	if hint, ok := n.enumHint[strings.ToLower(s)]; ok {
		msg += fmt.Sprintf(" (did you mean %q?)", hint)
	}
	v.report(path, n.enumSev, "%s", msg)
}

func (v *validator) checkObject(path string, n *node, obj map[string]any) {
	known := make(map[string]bool, len(n.keys))
	for _, k := range n.keys {
		known[k.name] = true
		kp := joinPath(path, k.name)
		val, present := obj[k.name]
		if !present {
			if k.req == optional || (k.optionalIf != nil && k.optionalIf(obj)) {
				continue
			}
			sev := soft
			if k.req == requiredHard {
				sev = hard
			}
			v.report(kp, sev, "required field is missing")
			continue
		}
		if k.since != "" && versionBefore(v.version, k.since) {
			v.report(kp, soft, "not allowed in manifest_version %s (added in %s; raise manifest_version or remove the key)",
				v.version, k.since)
		}
		// A key outside its version is still type-checked: lenient mode
		// keeps it, and the typed decode must not trip over it.
		obj[k.name] = v.check(kp, k.node, val)
	}
	var unknown []string
	for _, name := range sortedKeys(obj) {
		if !known[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return
	}
	allowed := make([]string, 0, len(n.keys))
	for _, k := range n.keys {
		if k.since == "" || !versionBefore(v.version, k.since) {
			allowed = append(allowed, k.name)
		}
	}
	for _, name := range unknown {
		v.report(joinPath(path, name), soft, "unknown key %q (allowed: %s; remove it or fix its spelling)",
			name, strings.Join(allowed, ", "))
		delete(obj, name)
	}
}

// checkSemantics adds the checks a schema cannot express.
func (v *validator) checkSemantics(doc map[string]any, requireSemver bool) {
	if ver, ok := doc["version"].(string); ok {
		if msg := checkSemver(ver); msg != "" {
			sev := advice
			if requireSemver {
				sev = hard
			}
			v.report("version", sev, "%s", msg)
		}
	}
	options, _ := doc["user_config"].(map[string]any)
	for _, name := range sortedKeys(options) {
		opt, _ := options[name].(map[string]any)
		if opt == nil {
			continue
		}
		p := joinPath("user_config", name)
		typ, _ := opt["type"].(string)
		switch def := opt["default"]; {
		case def == nil:
		case typ == ConfigNumber && !isNumber(def):
			v.report(joinPath(p, "default"), advice, "type is number but the default is %s", jsonTypeName(def))
		case typ == ConfigBoolean && !isBool(def):
			v.report(joinPath(p, "default"), advice, "type is boolean but the default is %s", jsonTypeName(def))
		}
		lo, okLo := opt["min"].(json.Number)
		hi, okHi := opt["max"].(json.Number)
		if okLo && okHi {
			l, errL := lo.Float64()
			h, errH := hi.Float64()
			if errL == nil && errH == nil && l > h {
				v.report(p, advice, "min %s is greater than max %s", lo, hi)
			}
		}
	}
}

func isNumber(v any) bool { _, ok := v.(json.Number); return ok }
func isBool(v any) bool   { _, ok := v.(bool); return ok }

// checkSemver applies semver.StrictNewVersion: registries tag versions with
// the string as is, so "v1.2.0" and "1.2" would not sort or resolve.
func checkSemver(v string) string {
	if _, err := semver.StrictNewVersion(v); err == nil {
		return ""
	}
	if rest, ok := strings.CutPrefix(v, "v"); ok {
		if _, err := semver.StrictNewVersion(rest); err == nil {
			return fmt.Sprintf("%q is not a semantic version: drop the leading \"v\" (use %q)", v, rest)
		}
	}
	return fmt.Sprintf("%q is not a semantic version (want MAJOR.MINOR.PATCH such as 1.2.0, optionally with -prerelease or +build, and no leading \"v\")", v)
}

func checkNonEmpty(s string) string {
	if strings.TrimSpace(s) == "" {
		return "must not be empty"
	}
	return ""
}

// checkNotZeroLength is Zod's min(1): a blank string passes.
func checkNotZeroLength(s string) string {
	if s == "" {
		return "must not be empty"
	}
	return ""
}

func checkIconSize(s string) string {
	if !iconSizeRE.MatchString(s) {
		return fmt.Sprintf("%q is not WIDTHxHEIGHT (want e.g. 512x512)", s)
	}
	return ""
}

func checkLocale(s string) string {
	if !localeRE.MatchString(s) {
		return fmt.Sprintf("%q is not a BCP 47 locale tag (want e.g. en-US)", s)
	}
	return ""
}

func checkLocaleResources(s string) string {
	if !localeResRE.MatchString(s) {
		return fmt.Sprintf("%q must contain the ${locale} placeholder (e.g. mcpb-resources/${locale}.json)", s)
	}
	return ""
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
