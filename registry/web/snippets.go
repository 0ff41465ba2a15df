package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// snippet is a command or a client configuration the bundle page offers
// to copy. Every one names the bundle by a fully qualified reference
// (host/repository@version): pasted on a machine whose mpak has another
// default registry, or none, it still runs this registry's bundle.
type snippet struct {
	// ID is the element's id, which tests read the snippet by.
	ID string
	// Client is who reads it; Where says where it goes.
	Client, Where string
	Text          string
	// Folded snippets (the configuration files, a dozen lines each) show
	// only their client's name until opened: the page lists four clients.
	Folded bool
}

// stdioServer is an MCP client's entry for a stdio server. Type is VS
// Code's (it names the transport); the others leave it out.
type stdioServer struct {
	Type, Command string
	Args          []string
}

// snippets are the bundle page's install commands and MCP client
// configurations for the version qualified names (host/repository@pin);
// key is the server's name in the clients.
func snippets(key, qualified, pull string) []snippet {
	run := []string{"run", qualified}
	return []snippet{
		{ID: "snippet-run", Client: "Run it", Text: "mpak bundle run " + qualified},
		{ID: "snippet-pull", Client: "Download it, pinned by digest", Text: "mpak bundle pull " + pull},
		{ID: "snippet-claude-code", Client: "Claude Code", Where: "a terminal",
			Text: "claude mcp add " + shellQuote(key) + " -- mpak " + strings.Join(quoteAll(run), " ")},
		{ID: "snippet-claude-desktop", Folded: true, Client: "Claude Desktop", Where: "claude_desktop_config.json",
			Text: clientJSON("mcpServers", key, stdioServer{Command: "mpak", Args: run})},
		{ID: "snippet-cursor", Folded: true, Client: "Cursor", Where: ".cursor/mcp.json",
			Text: clientJSON("mcpServers", key, stdioServer{Command: "mpak", Args: run})},
		{ID: "snippet-vscode", Folded: true, Client: "VS Code", Where: ".vscode/mcp.json",
			Text: clientJSON("servers", key, stdioServer{Type: "stdio", Command: "mpak", Args: run})},
	}
}

// clientJSON is a client's configuration file holding one server under
// its top-level key, laid out as people write these files (the arguments
// on one line). Every name and value is JSON-encoded, so it parses
// whatever they hold.
func clientJSON(top, key string, s stdioServer) string {
	var b strings.Builder
	fmt.Fprintf(&b, "{\n  %s: {\n    %s: {\n", jsonString(top), jsonString(key))
	if s.Type != "" {
		fmt.Fprintf(&b, "      \"type\": %s,\n", jsonString(s.Type))
	}
	args := make([]string, len(s.Args))
	for i, a := range s.Args {
		args[i] = jsonString(a)
	}
	fmt.Fprintf(&b, "      \"command\": %s,\n      \"args\": [%s]\n    }\n  }\n}", jsonString(s.Command), strings.Join(args, ", "))
	return b.String()
}

// jsonString is s as a JSON string. HTML characters are left as they
// are: the page escapes them, and \u003c in a config file would only
// puzzle whoever reads it.
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

func quoteAll(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = shellQuote(a)
	}
	return out
}

// serverKey is the name a bundle's server gets in MCP clients: the last
// part of its name, which Claude Code also accepts as an argument.
func serverKey(repository string) string {
	key := repository[strings.LastIndex(repository, "/")+1:]
	if key == "" {
		return "mpak"
	}
	return key
}
