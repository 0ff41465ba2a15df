package cli

import (
	"fmt"
	"strings"
)

// KeyValues reads KEY=VALUE arguments (--config, --annotation, config
// set): a key given twice keeps both values, in order; keys lists the
// keys in the order first given. what names the flag in errors.
func KeyValues(what string, kvs []string) (values map[string][]string, keys []string, err error) {
	values = map[string][]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, nil, fmt.Errorf("%s %q: want KEY=VALUE", what, kv)
		}
		if _, seen := values[k]; !seen {
			keys = append(keys, k)
		}
		values[k] = append(values[k], v)
	}
	return values, keys, nil
}

// Last keeps the last value of each key, for settings where a repeated
// key replaces the earlier value (annotations).
func Last(values map[string][]string) map[string]string {
	out := make(map[string]string, len(values))
	for k, v := range values {
		out[k] = v[len(v)-1]
	}
	return out
}
