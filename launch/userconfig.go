package launch

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/mpak-oci/mpak/mcpb"
)

// Value is one resolved user_config value: a single element for a scalar,
// any number for an option declared with multiple: true.
type Value struct {
	List     []string
	Multiple bool
}

// String joins the elements for display. Callers showing a Sensitive
// option's value should mask it instead.
func (v Value) String() string { return strings.Join(v.List, ", ") }

// scalar is the value in string context.
func (v Value) scalar() string {
	if len(v.List) == 0 {
		return ""
	}
	return v.List[0]
}

// Sources are the places a user_config value can come from, highest
// precedence first.
type Sources struct {
	// Flags are --config KEY=VALUE flags; a repeated KEY appends, which is
	// how an option with multiple: true gets several values.
	Flags map[string][]string
	// Stored are values saved with "mpak config set". A multiple option is
	// stored as a JSON array of strings. Keys the bundle does not declare
	// are ignored: they may be left over from another version of it.
	Stored map[string]string
	// Environ is the host environment, as from os.Environ; nil is none.
	Environ []string
	// SetCommand is the command that stores a value for this bundle, such as
	// "mpak config set @acme/weather"; error messages show it.
	SetCommand string
	// SystemDirs expand ${HOME} and the like in defaults, and ~ in paths;
	// nil means DefaultSystemDirs(Environ).
	SystemDirs *SystemDirs
}

// EnvPrefix starts the environment variable that sets a user_config key
// for any bundle: MPAK_USER_CONFIG_<KEY>, see EnvVar.
const EnvPrefix = "MPAK_USER_CONFIG_"

// EnvVar is the environment variable that sets key: EnvPrefix followed by
// the key in upper case with every character other than a letter or digit
// replaced by "_" ("api-key" → MPAK_USER_CONFIG_API_KEY).
func EnvVar(key string) string {
	return EnvPrefix + strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z':
			return r - 'a' + 'A'
		case 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
			return r
		}
		return '_'
	}, key)
}

// ResolveUserConfig returns the value of each user_config key that has one.
//
// Each key takes its value from the first source that has one: Flags,
// Stored, the environment, the manifest's default. The environment is first
// an alias, a host variable NAME for which the manifest's env says
// "NAME": "${user_config.KEY}" and nothing else (so a server's documented
// variable keeps working, as with mpak), then EnvVar(KEY). A source whose
// value is missing — "", no elements, or an empty element, as MCPB defines it
// — is skipped, so an empty variable does not hide a default.
//
// Values are checked and normalised by type: numbers parse and respect
// min/max, booleans become "true" or "false", directories and files must
// exist and become absolute. A key without any value is left out of the
// result, unless it is required: then the error is a *MissingError naming
// every such key and how to set it.
func ResolveUserConfig(m *mcpb.Manifest, s Sources) (map[string]Value, error) {
	if err := checkFlagKeys(m, s.Flags); err != nil {
		return nil, err
	}
	if s.SystemDirs == nil {
		s.SystemDirs = DefaultSystemDirs(s.Environ)
	}
	aliases := envAliases(m)
	defaults := systemVars(s.SystemDirs, string(os.PathSeparator))

	values := map[string]Value{}
	var missing []MissingKey
	for _, key := range m.UserConfigKeys() {
		opt := m.UserConfig[key]
		list, from, ok := lookupUserConfig(key, opt, aliases[key], s, defaults)
		if !ok {
			if opt.Required {
				missing = append(missing, MissingKey{
					Key:         key,
					Title:       opt.Title,
					Description: opt.Description,
					Sensitive:   opt.Sensitive,
					EnvAliases:  aliases[key],
				})
			}
			continue
		}
		list, err := checkValue(key, opt, list, from, s.SystemDirs.Home)
		if err != nil {
			return nil, err
		}
		values[key] = Value{List: list, Multiple: opt.Multiple}
	}
	if len(missing) > 0 {
		return nil, &MissingError{Keys: missing, SetCommand: s.SetCommand}
	}
	return values, nil
}

// checkFlagKeys rejects --config keys the bundle does not declare: a typo
// would otherwise be silently ignored and the server started without it.
func checkFlagKeys(m *mcpb.Manifest, flags map[string][]string) error {
	var unknown []string
	for k := range flags {
		if _, ok := m.UserConfig[k]; !ok {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	if len(m.UserConfig) == 0 {
		return fmt.Errorf("unknown config key %s: this bundle takes no configuration; remove --config %s", quoteAll(unknown), unknown[0])
	}
	return fmt.Errorf("unknown config key %s: this bundle's keys are %s", quoteAll(unknown), strings.Join(m.UserConfigKeys(), ", "))
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// envAliases finds, for each key, the env entries that are exactly
// ${user_config.KEY}. Overrides count too: which platform's env is used is
// decided later, and reading a host variable is harmless either way.
func envAliases(m *mcpb.Manifest) map[string][]string {
	mc := m.Server.MCPConfig
	if mc == nil {
		return nil
	}
	aliases := map[string][]string{}
	add := func(env map[string]string) {
		for name, value := range env {
			if !wholeUserConfigRef.MatchString(value) {
				continue
			}
			key := value[len("${user_config.") : len(value)-1]
			if !slices.Contains(aliases[key], name) {
				aliases[key] = append(aliases[key], name)
			}
		}
	}
	add(mc.Env)
	for _, o := range mc.PlatformOverrides {
		add(o.Env)
	}
	for _, names := range aliases {
		slices.Sort(names)
	}
	return aliases
}

// origin says where a value came from, so that an error about it points at
// the place to fix.
type origin struct {
	what      string // "--config", "stored config", "$NAME", "the bundle's default"
	fix       string // how to set a good value, with PLACEHOLDER for the value
	isDefault bool
}

func lookupUserConfig(key string, opt mcpb.UserConfigOption, aliases []string, s Sources, defaults vars) ([]string, origin, bool) {
	if list := s.Flags[key]; !isMissing(list) {
		return list, origin{"--config", "pass --config " + key + "=PLACEHOLDER", false}, true
	}
	if raw, ok := s.Stored[key]; ok {
		if list := decodeList(raw, opt.Multiple); !isMissing(list) {
			return list, origin{"stored config", "run " + setCommand(s.SetCommand) + " " + key + "=PLACEHOLDER", false}, true
		}
	}
	for _, name := range append(slices.Clone(aliases), EnvVar(key)) {
		if raw, ok := lookupEnv(s.Environ, name); ok {
			if list := decodeList(raw, opt.Multiple); !isMissing(list) {
				return list, origin{"$" + name, "set " + name + " to PLACEHOLDER", false}, true
			}
		}
	}
	list := defaultList(opt.Default, defaults)
	if !isMissing(list) {
		return list, origin{"the bundle's default", "pass --config " + key + "=PLACEHOLDER (the bundle's default is wrong)", true}, true
	}
	// An explicit empty-list default ("dirs": []) of an optional key is a
	// value, as in the reference host: an argument that is exactly
	// ${user_config.dirs} then spreads into no arguments instead of staying
	// literal. A required key is still missing (MCPB's rule).
	if list != nil && len(list) == 0 && !opt.Required {
		return list, origin{"the bundle's default", "pass --config " + key + "=PLACEHOLDER", true}, true
	}
	return nil, origin{}, false
}

func setCommand(s string) string {
	if s == "" {
		return "mpak config set BUNDLE"
	}
	return s
}

// isMissing is MCPB's definition of an unset value.
func isMissing(list []string) bool {
	return len(list) == 0 || slices.Contains(list, "")
}

// decodeList reads a stored or environment value. A multiple option may hold
// a JSON array of strings; anything else is one value.
func decodeList(raw string, multiple bool) []string {
	if multiple && strings.HasPrefix(strings.TrimSpace(raw), "[") {
		var list []string
		if json.Unmarshal([]byte(raw), &list) == nil {
			if list == nil {
				list = []string{}
			}
			return list
		}
	}
	return []string{raw}
}

// defaultList renders a manifest default as strings, expanding ${HOME} and
// the other system directories: defaults are written for every machine.
func defaultList(def any, v vars) []string {
	switch d := def.(type) {
	case string:
		return []string{v.expand(d)}
	case float64:
		return []string{strconv.FormatFloat(d, 'f', -1, 64)}
	case bool:
		return []string{strconv.FormatBool(d)}
	case []string:
		out := make([]string, len(d))
		for i, s := range d {
			out[i] = v.expand(s)
		}
		return out
	}
	return nil
}

// lookupEnv finds name in environ; the last entry wins, as in os/exec.
// Windows variable names are case-insensitive.
func lookupEnv(environ []string, name string) (string, bool) {
	for i := len(environ) - 1; i >= 0; i-- {
		k, v, ok := strings.Cut(environ[i], "=")
		if ok && envNameEqual(runtime.GOOS, k, name) {
			return v, true
		}
	}
	return "", false
}

func envNameEqual(goos, a, b string) bool {
	if goos == "windows" {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// checkValue validates list against the option's type and returns it
// normalised.
func checkValue(key string, opt mcpb.UserConfigOption, list []string, from origin, home string) ([]string, error) {
	bad := func(placeholder, format string, args ...any) error {
		return fmt.Errorf("config %s from %s: %s: %s", label(key, opt.Title), from.what,
			fmt.Sprintf(format, args...), strings.ReplaceAll(from.fix, "PLACEHOLDER", placeholder))
	}
	if !opt.Multiple && len(list) > 1 {
		return nil, bad("VALUE", "it takes one value but %d were given (%s)", len(list), strings.Join(list, ", "))
	}
	out := make([]string, len(list))
	for i, s := range list {
		switch opt.Type {
		case mcpb.ConfigNumber:
			s = strings.TrimSpace(s)
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, bad("NUMBER", "%q is not a number", s)
			}
			if opt.Min != nil && f < *opt.Min {
				return nil, bad("NUMBER", "%s is less than the minimum %s", s, formatNumber(*opt.Min))
			}
			if opt.Max != nil && f > *opt.Max {
				return nil, bad("NUMBER", "%s is more than the maximum %s", s, formatNumber(*opt.Max))
			}
		case mcpb.ConfigBoolean:
			b, ok := parseBool(s)
			if !ok {
				return nil, bad("true", "%q is not a boolean (use true/false, yes/no or 1/0)", s)
			}
			s = strconv.FormatBool(b)
		case mcpb.ConfigDirectory, mcpb.ConfigFile:
			p, err := checkPath(s, opt.Type, home, from.isDefault)
			if err != nil {
				return nil, bad(strings.ToUpper(opt.Type), "%v", err)
			}
			s = p
		}
		out[i] = s
	}
	return out, nil
}

func label(key, title string) string {
	if title == "" || title == key {
		return strconv.Quote(key)
	}
	return fmt.Sprintf("%q (%s)", key, title)
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes":
		return true, true
	case "false", "0", "no":
		return false, true
	}
	return false, false
}

// checkPath expands ~, makes p absolute (relative to the working directory,
// where the user typed it) and checks that it is a directory or a regular
// file. A default is not required to exist: servers commonly create their
// default data directory on first use, and failing a run the user never
// configured would be a surprise.
func checkPath(p, kind, home string, isDefault bool) (string, error) {
	if home != "" && (p == "~" || strings.HasPrefix(p, "~/") || strings.HasPrefix(p, "~"+string(os.PathSeparator))) {
		p = filepath.Join(home, p[1:])
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(abs)
	switch {
	case err != nil && isDefault && os.IsNotExist(err):
		return abs, nil
	case os.IsNotExist(err):
		return "", fmt.Errorf("%s does not exist", abs)
	case err != nil:
		return "", err
	case kind == mcpb.ConfigDirectory && !fi.IsDir():
		return "", fmt.Errorf("%s is not a directory", abs)
	case kind == mcpb.ConfigFile && !fi.Mode().IsRegular():
		return "", fmt.Errorf("%s is not a regular file", abs)
	}
	return abs, nil
}

// MissingError reports required user_config keys that have no value.
type MissingError struct {
	Keys []MissingKey
	// SetCommand is Sources.SetCommand.
	SetCommand string
}

// MissingKey is one required key without a value.
type MissingKey struct {
	Key         string
	Title       string
	Description string
	Sensitive   bool
	// EnvAliases are host variables that would set the key (see
	// ResolveUserConfig).
	EnvAliases []string
}

// Error names each key and the commands that would set it, one key a line.
func (e *MissingError) Error() string {
	lines := make([]string, len(e.Keys))
	for i, k := range e.Keys {
		env := EnvVar(k.Key)
		if len(k.EnvAliases) > 0 {
			env = k.EnvAliases[0]
		}
		lines[i] = fmt.Sprintf("missing required config %s: run %s %s=VALUE, or pass --config %s=VALUE, or set %s",
			label(k.Key, k.Title), setCommand(e.SetCommand), k.Key, k.Key, env)
	}
	return strings.Join(lines, "\n")
}
