package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mpak-oci/mpak/internal/testenv"
)

// mcpSession starts `mpak mcp` (the real binary, its companion beside
// it) with e and connects the SDK's client to it over stdio.
func (e env) mcpSession(t *testing.T) *mcp.ClientSession {
	t.Helper()
	bin, _ := binaries(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	t.Cleanup(cancel)
	cmd := e.command(bin, "mcp")
	stderr := &testenv.Buffer{}
	cmd.Stderr = stderr
	s, err := mcp.NewClient(&mcp.Implementation{Name: "agent", Version: "1"}, nil).Connect(ctx, &mcp.CommandTransport{Command: cmd, TerminateDuration: 2 * time.Second}, nil)
	if err != nil {
		t.Fatalf("mpak mcp: MCP initialize failed: %v\nstderr: %s", err, stderr.String())
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// callTool calls a tool and returns its structured result, failing the
// test on an error result unless wantErr, when it returns the message.
func callTool(t *testing.T, s *mcp.ClientSession, tool string, args map[string]any, wantErr bool) (map[string]any, string) {
	t.Helper()
	res, err := s.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	var text string
	if len(res.Content) > 0 {
		text = res.Content[0].(*mcp.TextContent).Text
	}
	if res.IsError != wantErr {
		t.Fatalf("%s(%v): isError=%v, want %v: %s", tool, args, res.IsError, wantErr, text)
	}
	out, _ := res.StructuredContent.(map[string]any)
	return out, text
}

// TestMpakMCP: every tool and resource of `mpak mcp`, as an agent calls
// them, against a real mpakd with real bundles; the policy comes from the
// user's config and refuses what it should.
func TestMpakMCP(t *testing.T) {
	t.Parallel()
	host := mpakdServer(t)
	e := isolate(t, host)
	home := t.TempDir()
	e["HOME"], e["XDG_CONFIG_HOME"], e["COSIGN_PASSWORD"] = home, filepath.Join(home, ".config"), "pw"
	clock := clockDir(t, "1.0.0")
	must(t, os.WriteFile(filepath.Join(clock, "README.md"), []byte("# Clock\n\nTells the time.\n"), 0o644))
	e.publish(t, clock, "clock")
	e.publish(t, exampleDir(t, "1.0.0"), "hello")
	keys := t.TempDir()
	e.ok(t, "bundle", "keygen", "--output-key-prefix", filepath.Join(keys, "cosign"))
	e.ok(t, "bundle", "sign", "@example/clock@1.0.0", "--key", filepath.Join(keys, "cosign.key"))
	writePolicy := func(p map[string]any) {
		b, _ := json.Marshal(map[string]any{"policy": p})
		must(t, os.WriteFile(e["MPAK_CONFIG"], b, 0o600))
	}
	writePolicy(map[string]any{"keys": []string{filepath.Join(keys, "cosign.pub")}})

	s := e.mcpSession(t)
	tools, err := s.ListTools(context.Background(), nil)
	must(t, err)
	var names []string
	for _, tool := range tools.Tools {
		names = append(names, tool.Name)
		if tool.OutputSchema == nil || tool.Annotations == nil {
			t.Errorf("%s: no output schema or annotations", tool.Name)
		}
		if ro := tool.Annotations.ReadOnlyHint; ro == (tool.Name == "install_bundle" || tool.Name == "uninstall_bundle") {
			t.Errorf("%s: readOnlyHint %v", tool.Name, ro)
		}
	}
	want := []string{"bundle_versions", "install_bundle", "list_installed", "scan_bundle", "search_bundles", "show_bundle", "trust_summary", "uninstall_bundle", "verify_bundle"}
	if !slices.Equal(names, want) {
		t.Errorf("tools = %v, want %v", names, want)
	}

	out, _ := callTool(t, s, "search_bundles", map[string]any{"query": "now"}, false)
	if b := out["bundles"].([]any); len(b) != 1 || b[0].(map[string]any)["name"] != "@example/clock" {
		t.Errorf("search_bundles now: %v", out)
	}
	out, _ = callTool(t, s, "search_bundles", map[string]any{"limit": 1, "sort": "name"}, false)
	if out["total"].(float64) != 2 || out["next_offset"].(float64) != 1 {
		t.Errorf("search_bundles paging: %v", out)
	}
	out, _ = callTool(t, s, "show_bundle", map[string]any{"name": "@example/clock"}, false)
	if out["version"] != "1.0.0" || out["user_config"].(map[string]any)["zone"] == nil || out["trust"].(map[string]any)["signed"] != true {
		t.Errorf("show_bundle: %v", out)
	}

	out, _ = callTool(t, s, "bundle_versions", map[string]any{"name": "@example/clock"}, false)
	if vs := out["versions"].([]any); len(vs) != 1 || vs[0].(map[string]any)["version"] != "1.0.0" {
		t.Errorf("bundle_versions: %v", out)
	}
	out, _ = callTool(t, s, "trust_summary", map[string]any{"name": "@example/clock", "version": "1.0.0"}, false)
	if out["signed"] != true || out["provenance"] == nil {
		t.Errorf("trust_summary: %v", out)
	}

	out, _ = callTool(t, s, "verify_bundle", map[string]any{"ref": "@example/clock"}, false)
	if sigs := out["signatures"].([]any); len(sigs) == 0 || out["allowed"] != true {
		t.Errorf("verify_bundle of the signed bundle: %v", out)
	}
	out, _ = callTool(t, s, "verify_bundle", map[string]any{"ref": "@example/hello"}, false)
	if sigs := out["signatures"].([]any); len(sigs) != 0 {
		t.Errorf("verify_bundle of the unsigned bundle: %v", out)
	}

	out, _ = callTool(t, s, "scan_bundle", map[string]any{"ref": "@example/clock@1.0.0"}, false)
	if rep, ok := out["report"].(map[string]any); !ok || rep["level"] == nil {
		t.Errorf("scan_bundle: %v", out)
	}

	out, _ = callTool(t, s, "install_bundle", map[string]any{"ref": "@example/clock", "client": "cursor", "config": map[string]any{"verbose": "yes"}}, false)
	cursorFile := filepath.Join(home, ".cursor", "mcp.json")
	if out["change"] != "added" || out["file"] != cursorFile {
		t.Errorf("install_bundle: %v", out)
	}
	if b, err := os.ReadFile(cursorFile); err != nil || !strings.Contains(string(b), "verbose=true") {
		t.Errorf("cursor's file: %v\n%s", err, b)
	}
	out, _ = callTool(t, s, "list_installed", map[string]any{}, false)
	if l := out["installed"].([]any); len(l) != 1 || l[0].(map[string]any)["current"] != "1.0.0" {
		t.Errorf("list_installed: %v", out)
	}

	// Resources: the manifest and the README.
	res, err := s.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: "mpak://manifest/@example/clock"})
	if err != nil || !strings.Contains(res.Contents[0].Text, `"name": "clock"`) {
		t.Errorf("manifest resource: %v %v", err, res)
	}
	res, err = s.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: "mpak://readme/@example/clock@1.0.0"})
	if err != nil || res.Contents[0].Text != "# Clock\n\nTells the time.\n" {
		t.Errorf("readme resource: %v %v", err, res)
	}

	out, _ = callTool(t, s, "uninstall_bundle", map[string]any{"ref": "@example/clock", "client": "cursor"}, false)
	if out["change"] != "removed" {
		t.Errorf("uninstall_bundle: %v", out)
	}

	// The user's policy, not the agent, decides: an unsigned bundle is
	// refused when the config requires signatures, and nothing is written.
	writePolicy(map[string]any{"keys": []string{filepath.Join(keys, "cosign.pub")}, "require_signature": true})
	s2 := e.mcpSession(t)
	// A required value the agent did not give: it is told how to give it.
	writePolicy(map[string]any{})
	s3 := e.mcpSession(t)
	e.publish(t, secretClockDir(t, "2.0.0"), "clock")
	if _, msg := callTool(t, s3, "install_bundle", map[string]any{"ref": "@example/clock@2.0.0", "client": "windsurf"}, true); !strings.Contains(msg, `"config": {"token": ...}`) {
		t.Errorf("missing value: %s", msg)
	}
	_, msg := callTool(t, s2, "install_bundle", map[string]any{"ref": "@example/hello", "client": "windsurf"}, true)
	if !strings.Contains(msg, "signature") {
		t.Errorf("refusal: %s", msg)
	}
	if _, err := os.Stat(filepath.Join(home, ".codeium", "windsurf", "mcp_config.json")); !os.IsNotExist(err) {
		t.Errorf("a refused install wrote the client's file: %v", err)
	}
	out, _ = callTool(t, s2, "verify_bundle", map[string]any{"ref": "@example/hello"}, false)
	if out["allowed"] != false || !strings.Contains(out["refusal"].(string), "signature") {
		t.Errorf("verify_bundle under require_signature: %v", out)
	}
}
