// Command clock is the example binary bundle: an MCP server built with the
// official Go SDK. `mpak` tests build it per platform, pack it with
// manifest.json and run it through the registry.
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type nowArgs struct {
	Zone string `json:"zone,omitempty" jsonschema:"IANA time zone, e.g. Europe/Paris (default UTC)"`
}

func main() {
	server := mcp.NewServer(&mcp.Implementation{Name: "clock", Version: "1.0.0"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: "now", Description: "Current time in a time zone"},
		func(_ context.Context, _ *mcp.CallToolRequest, a nowArgs) (*mcp.CallToolResult, any, error) {
			zone := a.Zone
			if zone == "" {
				zone = "UTC"
			}
			loc, err := time.LoadLocation(zone)
			if err != nil {
				return nil, nil, fmt.Errorf("unknown zone %q", zone)
			}
			return text(time.Now().In(loc).Format(time.RFC3339)), nil, nil
		})
	// args exposes what the launcher passed, so tests can check substitution.
	mcp.AddTool(server, &mcp.Tool{Name: "args", Description: "The command line and CLOCK_* environment"},
		func(_ context.Context, _ *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
			var env []string
			for _, kv := range os.Environ() {
				if strings.HasPrefix(kv, "CLOCK_") {
					env = append(env, kv)
				}
			}
			return text(strings.Join(os.Args[1:], "|") + "\n" + strings.Join(env, "|")), nil, nil
		})
	if err := server.Run(context.Background(), &mcp.StdioTransport{}); err != nil {
		log.Fatal(err)
	}
}

func text(s string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: s}}}
}
