package config

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
)

// Set saves user_config values for a bundle, keys in order: a key with
// one value is saved as it is, one with several (a multiple option) as a
// JSON array, the form launch reads back.
func (c *Config) Set(bundle string, values map[string][]string, order []string) {
	for _, k := range order {
		v := values[k][0]
		if len(values[k]) > 1 {
			b, _ := json.Marshal(values[k])
			v = string(b)
		}
		c.SetValue(bundle, k, v)
	}
}

// secretName catches values worth hiding even where no manifest says so.
var secretName = regexp.MustCompile(`(?i)(token|secret|password|passwd|api[_-]?key|credential|private)`)

// Masked returns a bundle's saved values (only key's, when key is set)
// with the sensitive ones masked: those sensitive says are, and those
// whose name sounds like a secret.
func (c *Config) Masked(bundle, key string, sensitive map[string]bool) map[string]string {
	out := map[string]string{}
	for k, v := range c.Values(bundle) {
		if key == "" || k == key {
			out[k] = mask(v, sensitive[k] || secretName.MatchString(k))
		}
	}
	return out
}

// mask hides a sensitive value but its first characters, so a user can
// tell which token is saved without the file's secrets reaching a screen
// share.
func mask(value string, sensitive bool) string {
	switch {
	case !sensitive:
		return value
	case len(value) <= 8:
		return strings.Repeat("*", 8)
	}
	return value[:4] + strings.Repeat("*", 8)
}

// Saved lists the bundles with saved values and, sorted, their keys.
func (c *Config) Saved() map[string][]string {
	out := map[string][]string{}
	for b, kv := range c.Bundles {
		keys := make([]string, 0, len(kv))
		for k := range kv {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		out[b] = keys
	}
	return out
}
