package mpak_test

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/mpak-oci/mpak"
	"github.com/mpak-oci/mpak/launch"
	"github.com/mpak-oci/mpak/mcpb"
)

const splitManifest = `{
  "manifest_version": "0.3", "name": "weather", "version": "1.0.0", "description": "d",
  "author": {"name": "a"},
  "server": {"type": "node", "entry_point": "server/index.js",
    "mcp_config": {"command": "node", "args": ["${__dirname}/server/index.js"]}},
  "user_config": {
    "api_key": {"type": "string", "title": "API key", "sensitive": true, "required": true},
    "tokens": {"type": "string", "title": "Tokens", "sensitive": true, "multiple": true},
    "units": {"type": "string", "title": "Units", "default": "metric"},
    "data": {"type": "directory", "title": "Data"},
    "retries": {"type": "number", "title": "Retries", "min": 0, "max": 5}
  }
}`

// TestSplitUserConfig: sensitive values are kept apart for mpak's own
// config, the rest become --config arguments, checked and normalised as
// mpak run would; a required value with none is a MissingError.
func TestSplitUserConfig(t *testing.T) {
	m, _, err := mcpb.ParseManifest([]byte(splitManifest), mcpb.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Chdir(dir)
	got, err := mpak.SplitUserConfig(m, map[string][]string{
		"api_key": {"sk-1"}, "tokens": {"a", "b"}, "units": {"imperial"}, "data": {"."}, "retries": {"3"},
	}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantArgs := []string{"--config", "data=" + dir, "--config", "retries=3", "--config", "units=imperial"}
	if !slices.Equal(got.Args, wantArgs) {
		t.Errorf("args = %q, want %q", got.Args, wantArgs)
	}
	if got.Secrets["api_key"] != "sk-1" || got.Secrets["tokens"] != `["a","b"]` || len(got.Secrets) != 2 {
		t.Errorf("secrets = %v", got.Secrets)
	}

	// A stored value satisfies a required key and is not repeated.
	got, err = mpak.SplitUserConfig(m, map[string][]string{}, map[string]string{"api_key": "saved"}, nil)
	if err != nil || len(got.Args) != 0 || len(got.Secrets) != 0 {
		t.Errorf("stored value: %+v, %v", got, err)
	}

	var missing *launch.MissingError
	if _, err := mpak.SplitUserConfig(m, nil, nil, nil); !errors.As(err, &missing) || missing.Keys[0].Key != "api_key" || !missing.Keys[0].Sensitive {
		t.Errorf("missing required: %v", err)
	}
	if _, err := mpak.SplitUserConfig(m, map[string][]string{"api_key": {"k"}, "retries": {"9"}}, nil, nil); err == nil {
		t.Error("retries=9 is above the maximum, but was accepted")
	}
	if _, err := mpak.SplitUserConfig(m, map[string][]string{"api_key": {"k"}, "data": {filepath.Join(dir, "nope")}}, nil, nil); err == nil {
		t.Error("a directory that does not exist was accepted")
	}
}
