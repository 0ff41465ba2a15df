package mcpb

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// The registry rules: what mpak checks beyond the schema, because a
// registry must tag, sort and run what it stores. DIFFERENCES.md names each
// rule where it makes mpak's verdict differ from the mcpb CLI's; the others
// are advice (warnings) and never change a verdict.
//
//   - semver-version: version must be strict semver (an error with
//     RequireSemver, else advice).
//   - command-not-empty: server.mcp_config.command must not be blank (soft).
//   - entry-point-in-bundle: server.entry_point must not be blank (soft);
//     Pack also checks that it names a file in the bundle.
//   - advice: a blank name; a user_config default of the wrong type; min
//     above max; a number beyond float64.
//
// They run after the schema, so a value of the wrong type has already been
// reported and is skipped here.
func (v *validator) checkRules(doc map[string]any, requireSemver bool) {
	if ver, ok := doc["version"].(string); ok {
		if msg := checkSemver(ver); msg != "" {
			sev := advice
			if requireSemver {
				sev = hard
			}
			v.report("version", sev, "%s", msg)
		}
	}
	if name, ok := doc["name"].(string); ok && isBlank(name) {
		// The CLI takes an empty name, and so do we: the bundle is named
		// by its OCI reference. Catalogs would show nothing, hence advice.
		v.report("name", advice, "must not be empty")
	}
	server, _ := doc["server"].(map[string]any)
	if ep, ok := server["entry_point"].(string); ok && isBlank(ep) {
		v.report("server.entry_point", soft, "must not be empty (name the file the server starts from, such as server/index.js)")
	}
	mcpConfig, _ := server["mcp_config"].(map[string]any)
	if cmd, ok := mcpConfig["command"].(string); ok && isBlank(cmd) {
		v.report("server.mcp_config.command", soft, "must not be empty (no host can start the server; use e.g. \"node\" or \"${__dirname}/bin/server\")")
	}
	v.checkUserConfig(doc)
}

func (v *validator) checkUserConfig(doc map[string]any) {
	options, _ := doc["user_config"].(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(options)) {
		opt, _ := options[name].(map[string]any)
		if opt == nil {
			continue
		}
		p := joinPath("user_config", name)
		for _, key := range []string{"default", "min", "max"} {
			if num, ok := opt[key].(json.Number); ok {
				opt[key] = v.checkNumber(joinPath(p, key), num)
			}
		}
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

// checkNumber accepts a number beyond float64, as the CLI does (JavaScript
// reads 1e400 as Infinity), and returns the nearest finite value for the
// typed view: ±Infinity would make the Manifest impossible to encode as
// JSON again. Manifest.Raw keeps the number as written.
func (v *validator) checkNumber(path string, num json.Number) json.Number {
	f, err := num.Float64()
	if err == nil {
		return num
	}
	v.report(path, advice, "number %s is beyond the range of a 64-bit float and reads as %s; use a value up to ±1.79e308", num, map[bool]string{true: "-Infinity", false: "Infinity"}[f < 0])
	return json.Number(strconv.FormatFloat(max(-math.MaxFloat64, min(f, math.MaxFloat64)), 'g', -1, 64))
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

func isBlank(s string) bool { return strings.TrimSpace(s) == "" }
