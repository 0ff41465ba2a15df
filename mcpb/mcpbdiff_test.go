package mcpb

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The differential corpus: manifest variants made by hack/mcpbdiff and the
// verdict the reference mcpb CLI gave each (hack/mcpbdiff/regen.sh records
// them). mpak must read everything the CLI accepts, and its strict pack
// may judge a case differently only by a registry rule named below and in
// DIFFERENCES.md.
const diffDir = "testdata/mcpbdiff"

type diffCase struct {
	Name     string            `json:"name"`
	Manifest json.RawMessage   `json:"manifest"`
	Files    map[string]string `json:"files"`
	Rule     string            `json:"rule"`
}

type diffVerdict struct {
	CLI    string `json:"cli"`
	Output string `json:"output"`
}

// registryRule is a deliberate difference from the mcpb CLI.
type registryRule struct {
	// stricter rules refuse what the CLI accepts; the others accept what
	// it refuses.
	stricter bool
	// explains reports whether a pack error is this rule's doing alone.
	explains func(err error) bool
}

// registryRules are the differences DIFFERENCES.md names.
var registryRules = map[string]registryRule{
	"semver-version":         {stricter: true, explains: onlyPaths("version")},
	"entry-point-in-bundle":  {stricter: true, explains: entryPointError},
	"command-not-empty":      {stricter: true, explains: onlyPaths("server.mcp_config.command")},
	"uv-mcp-config-optional": {stricter: false},
	"icon-link-warns":        {stricter: false},
}

// onlyPaths explains a *ValidationError whose problems all sit at paths.
func onlyPaths(paths ...string) func(error) bool {
	return func(err error) bool {
		probs := problemsOf(err)
		if len(probs) == 0 {
			return false
		}
		for _, p := range probs {
			if !strings.Contains(strings.Join(paths, "\n"), p.Path) || p.Path == "" {
				return false
			}
		}
		return true
	}
}

// entryPointError explains pack's entry point check, or a schema finding
// about server.entry_point.
func entryPointError(err error) bool {
	if problemsOf(err) != nil {
		return onlyPaths("server.entry_point")(err)
	}
	return strings.Contains(err.Error(), "server.entry_point ")
}

func loadDiffCorpus(t testing.TB) ([]diffCase, map[string]diffVerdict) {
	t.Helper()
	var cases []diffCase
	var verdicts map[string]diffVerdict
	for name, v := range map[string]any{"cases.json": &cases, "verdicts.json": &verdicts} {
		b, err := os.ReadFile(filepath.Join(diffDir, name))
		if err != nil {
			t.Fatalf("%v (regenerate with hack/mcpbdiff/regen.sh)", err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	delete(verdicts, "_about")
	if len(cases) != len(verdicts) {
		t.Fatalf("%d cases but %d verdicts: run hack/mcpbdiff/regen.sh", len(cases), len(verdicts))
	}
	return cases, verdicts
}

// writeDiffCase lays a case out as a bundle directory.
func writeDiffCase(t *testing.T, c diffCase) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), c.Manifest, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, content := range c.Files {
		data := []byte(content)
		if content == "<png>" {
			data = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestMcpbCLIAgreement holds lenient reading and strict packing to the
// recorded verdicts of the mcpb CLI.
func TestMcpbCLIAgreement(t *testing.T) {
	t.Parallel()
	cases, verdicts := loadDiffCorpus(t)
	var agree, cliAccepts int
	byRule := map[string]int{}
	for _, c := range cases {
		v, ok := verdicts[c.Name]
		if !ok {
			t.Fatalf("%s: no verdict recorded (run hack/mcpbdiff/regen.sh)", c.Name)
		}
		cliOK := v.CLI == "accept"

		_, _, leniErr := ParseManifest(c.Manifest, ParseOptions{})
		if cliOK {
			cliAccepts++
			if leniErr != nil {
				t.Errorf("%s: the mcpb CLI accepts it, but a lenient read refuses it:\n%v\nmanifest: %s", c.Name, leniErr, compactJSON(c.Manifest))
			}
		}

		_, packErr := planPack(writeDiffCase(t, c), PackOptions{})
		packOK := packErr == nil
		if packOK == cliOK {
			agree++
			continue
		}
		byRule[c.Rule]++
		rule, named := registryRules[c.Rule]
		switch {
		case !named:
			t.Errorf("%s: mcpb says %s, strict pack says %v, and no registry rule covers it\nmcpb: %s\nmanifest: %s",
				c.Name, v.CLI, verdictOf(packErr), v.Output, compactJSON(c.Manifest))
		case !packOK && (!rule.stricter || !rule.explains(packErr)):
			t.Errorf("%s: strict pack refuses it for more than rule %s:\n%v", c.Name, c.Rule, packErr)
		case packOK && rule.stricter:
			t.Errorf("%s: strict pack accepts what mcpb refuses (%s), but rule %s only makes pack stricter", c.Name, v.Output, c.Rule)
		}
	}
	t.Logf("corpus: %d cases, the mcpb CLI accepts %d; strict pack agrees on %d (%.1f%%); differences by rule: %v",
		len(cases), cliAccepts, agree, 100*float64(agree)/float64(len(cases)), byRule)
}

// TestRegistryRulesDocumented: every rule the test allows is explained in
// DIFFERENCES.md.
func TestRegistryRulesDocumented(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("DIFFERENCES.md")
	if err != nil {
		t.Fatal(err)
	}
	for name := range registryRules {
		if !bytes.Contains(doc, []byte("`"+name+"`")) {
			t.Errorf("DIFFERENCES.md does not name rule %s", name)
		}
	}
}

func verdictOf(err error) string {
	if err == nil {
		return "accept"
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		return "reject: " + ve.Error()
	}
	return "reject: " + err.Error()
}

func compactJSON(b []byte) string {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return string(b)
	}
	return buf.String()
}
