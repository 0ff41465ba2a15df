package launch

import (
	"maps"
	"regexp"
)

// vars maps the names that ${name} may refer to onto their values. A Value
// with Multiple set is a list: it only ever replaces a whole argument.
type vars map[string]Value

// systemVars are the variables that depend on the machine, not on the
// bundle. Defaults in user_config may use these.
func systemVars(dirs *SystemDirs, sep string) vars {
	v := vars{}
	v.set("/", sep)
	v.set("pathSeparator", sep)
	if dirs != nil {
		v.set("HOME", dirs.Home)
		v.set("DESKTOP", dirs.Desktop)
		v.set("DOCUMENTS", dirs.Documents)
		v.set("DOWNLOADS", dirs.Downloads)
	}
	return v
}

// bundleVars are all the variables mcp_config may use: the system ones,
// ${__dirname} and ${user_config.KEY}.
func bundleVars(dir string, dirs *SystemDirs, sep string, userConfig map[string]Value) vars {
	v := systemVars(dirs, sep)
	v.set("__dirname", dir)
	for key, val := range userConfig {
		v["user_config."+key] = val
	}
	return v
}

// set defines a scalar; an empty value stays undefined (see SystemDirs).
func (v vars) set(name, value string) {
	if value != "" {
		v[name] = Value{List: []string{value}}
	}
}

var (
	// ref matches one ${name}. The reference host builds one pattern per
	// known name; matching any name and looking it up is equivalent, and
	// leaves unknown references alone in the same way.
	ref = regexp.MustCompile(`\$\{([^{}]+)\}`)
	// wholeUserConfigRef is an argument that is nothing but a user_config
	// reference: the only place a list value is spliced in.
	wholeUserConfigRef = regexp.MustCompile(`^\$\{user_config\.[^}]+\}$`)
)

// expand replaces every known ${name} in s. Unknown names and list values
// stay literal, as in the reference host: a list has no single string form,
// and a visible "${user_config.dirs}" is easier to debug than a guess.
//
// Unlike the reference host, which substitutes one name after another, the
// text is scanned once, so a value is never itself expanded: a user's
// "${HOME}" stays as typed, and the result does not depend on map order.
func (v vars) expand(s string) string {
	return ref.ReplaceAllStringFunc(s, func(m string) string {
		val, ok := v[m[2:len(m)-1]]
		if !ok || val.Multiple {
			return m
		}
		return val.scalar()
	})
}

// expandArgs expands each argument. An argument that is exactly
// ${user_config.KEY} becomes the key's value, and a list becomes as many
// arguments as it has elements (none for an empty list): that is how a
// multiple directory option turns into argv.
func (v vars) expandArgs(args []string) []string {
	out := make([]string, 0, len(args))
	for _, a := range args {
		if wholeUserConfigRef.MatchString(a) {
			if val, ok := v[a[2:len(a)-1]]; ok {
				if val.Multiple {
					out = append(out, val.List...)
				} else {
					out = append(out, val.scalar())
				}
				continue
			}
		}
		out = append(out, v.expand(a))
	}
	return out
}

// expandEnv expands each value; environment values are strings, so list
// values stay literal there.
func (v vars) expandEnv(env map[string]string) map[string]string {
	out := maps.Clone(env)
	for k, s := range out {
		out[k] = v.expand(s)
	}
	return out
}
