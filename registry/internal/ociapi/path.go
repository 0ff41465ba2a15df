package ociapi

import "strings"

// SplitPath splits /v2/<name><sep><reference>, where sep is "/manifests/",
// "/blobs/" or "/referrers/". Names contain slashes, so the last separator
// wins; a reference never contains one.
func SplitPath(p, sep string) (name, reference string, ok bool) {
	rest, found := strings.CutPrefix(p, "/v2/")
	if !found {
		return "", "", false
	}
	i := strings.LastIndex(rest, sep)
	if i <= 0 {
		return "", "", false
	}
	name, reference = rest[:i], rest[i+len(sep):]
	if reference == "" || strings.Contains(reference, "/") {
		return "", "", false
	}
	return name, reference, true
}
