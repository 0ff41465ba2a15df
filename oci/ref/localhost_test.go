package ref

import "testing"

func TestIsLocalHost(t *testing.T) {
	for registry, want := range map[string]bool{
		"localhost":        true,
		"localhost:5000":   true,
		"LOCALHOST:5000":   true,
		"127.0.0.1":        true,
		"127.0.0.1:5000":   true,
		"127.1.2.3:80":     true,
		"[::1]":            true,
		"[::1]:5000":       true,
		"::1":              true,
		"ghcr.io":          false,
		"localhost.io":     false,
		"mylocalhost:5000": false,
		"128.0.0.1:5000":   false,
		"10.0.0.1:5000":    false,
		"[::2]:5000":       false,
		"":                 false,
	} {
		if got := IsLocalHost(registry); got != want {
			t.Errorf("IsLocalHost(%q) = %v, want %v", registry, got, want)
		}
	}
}
