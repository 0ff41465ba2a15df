package mcpb

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func FuzzParseManifest(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "manifests", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed manifests: %v", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(mustJSON(f, baseManifest("0.1")))
	f.Add([]byte(`{"dxt_version":"0.2","name":"x","version":"1.0.0","description":"d","author":{"name":"a"},"server":{"type":"binary","entry_point":"x","mcp_config":{"command":"x"}},"user_config":{"a.b":{"type":"number","title":"t","description":"d","default":1e400}}}`))
	f.Add([]byte(`{"manifest_version":"0.4","NAME":"x","name":"y","version":"v1","description":"","author":{"name":""},"server":{"type":"uv","entry_point":"s"},"_meta":{"x":{"y":[1,{"z":null}]}}}`))
	f.Add([]byte(`[1, "two"]`))
	f.Add([]byte("{\"a\":\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		strict, _, strictErr := ParseManifest(data, ParseOptions{Strict: true, RequireSemver: true})
		lenient, warns, lenientErr := ParseManifest(data, ParseOptions{})
		if (strictErr == nil) != (strict != nil) || (lenientErr == nil) != (lenient != nil) {
			t.Fatalf("manifest and error disagree: %v/%v, %v/%v", strict, strictErr, lenient, lenientErr)
		}
		if strictErr == nil && lenientErr != nil {
			t.Fatalf("strict accepted but lenient rejected: %v", lenientErr)
		}
		if strictErr == nil {
			// Both modes must build the same typed view.
			if strict.Name != lenient.Name || strict.Version != lenient.Version || strict.Server.EntryPoint != lenient.Server.EntryPoint ||
				strict.ManifestVersion != lenient.ManifestVersion || len(strict.UserConfig) != len(lenient.UserConfig) {
				t.Fatalf("strict and lenient views differ:\n%+v\n%+v", strict, lenient)
			}
		}
		if lenientErr == nil {
			// A blank name or entry point is only a warning when reading
			// (the mcpb CLI accepts both); the server type is not.
			if !bytes.Equal(lenient.Raw, data) || !slices.Contains([]string{ServerNode, ServerPython, ServerBinary, ServerUV}, lenient.Server.Type) {
				t.Fatalf("accepted manifest lacks essentials: %+v", lenient)
			}
			if lenient.Server.Type != ServerUV && lenient.Server.MCPConfig == nil {
				t.Fatalf("accepted %s server without mcp_config", lenient.Server.Type)
			}
		}
		for _, w := range warns {
			if !w.Warning || w.Message == "" {
				t.Fatalf("bad warning %+v", w)
			}
		}
	})
}
