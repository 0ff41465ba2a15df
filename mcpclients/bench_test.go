package mcpclients

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// largeClaudeJSON is a ~/.claude.json the size Claude Code's grows to:
// per-project settings and prompt history, a few megabytes.
func largeClaudeJSON(b *testing.B, projects int) []byte {
	b.Helper()
	doc := map[string]any{"numStartups": 300, "mcpServers": map[string]any{"github": map[string]any{"type": "stdio", "command": "gh-mcp"}}}
	ps := map[string]any{}
	for i := range projects {
		var history []any
		for j := range 50 {
			history = append(history, map[string]any{"display": fmt.Sprintf("refactor the parser in module %d, step %d, keeping the tests green", i, j), "pastedContents": map[string]any{}})
		}
		ps[fmt.Sprintf("/home/me/src/project-%d", i)] = map[string]any{"allowedTools": []string{"Bash(go test:*)"}, "history": history,
			"mcpServers": map[string]any{}, "hasTrustDialogAccepted": true}
	}
	doc["projects"] = ps
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkInstallLargeClaudeCode: one install into a large
// ~/.claude.json: read, parse, splice, pack, parse again to check,
// backup and atomic write.
func BenchmarkInstallLargeClaudeCode(b *testing.B) {
	c, _ := Lookup("claude-code")
	data := largeClaudeJSON(b, 200)
	dir := b.TempDir()
	path := filepath.Join(dir, ".claude.json")
	e := testEntry
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		if err := os.WriteFile(path, data, 0o600); err != nil {
			b.Fatal(err)
		}
		rec, _ := LoadRecord(filepath.Join(dir, fmt.Sprintf("clients-%d.json", i)))
		b.StartTimer()
		p, err := Add(rec, c, Wiring{File: path, Name: "weather", Entry: e}, false)
		if err != nil {
			b.Fatal(err)
		}
		if err := p.Apply(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(data))/(1<<20), "MiB")
}
