// Package mcpclients edits the configuration files of MCP clients (Claude
// Desktop, Claude Code, Cursor, VS Code, Windsurf, Codex) so that a server
// entry appears in, or leaves, exactly one of them. Everything else in the
// file is kept byte for byte: other servers, unknown fields, comments and
// formatting. A file that does not parse is never written, every write is
// atomic and leaves a backup of what it replaced, and writing the same
// entry twice changes nothing.
//
// It knows where each client keeps its file on each OS (see Client.Path)
// and records which entries mpak wrote (see Record), so that an entry the
// user wrote by hand is never replaced without being asked.
package mcpclients

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// Format is how a client's configuration file is written.
type Format int

const (
	// JSON files may hold comments and trailing commas (JSONC), as VS
	// Code's do; they are kept.
	JSON Format = iota
	// TOML is Codex's config.toml.
	TOML
)

// Scope says whose configuration an entry goes in.
type Scope string

const (
	// User is the user's own file, used in every project.
	User Scope = "user"
	// Project is a file in the project directory, usually checked in.
	Project Scope = "project"
)

// Client is one MCP client: where its configuration lives and how a
// server entry is shaped in it.
type Client struct {
	// Name is what --client takes: claude-desktop, claude-code, ...
	Name string
	// Title is the product's name, for messages.
	Title  string
	Format Format
	// ServersKey holds the servers: "mcpServers", VS Code's "servers",
	// Codex's "mcp_servers".
	ServersKey string
	// StdioType adds "type": "stdio" to an entry, as Claude Code's and VS
	// Code's files spell it.
	StdioType bool
	// user and project locate the file for each scope it supports; nil
	// when the client has no such scope.
	user    func(Dirs) (string, error)
	project string // relative to Dirs.Project
}

// Dirs are the directories the files live under. The caller fills them
// (the package reads no environment): the command line from $HOME,
// %APPDATA%, $XDG_CONFIG_HOME, $CODEX_HOME and the working directory.
type Dirs struct {
	// GOOS picks the per-OS location (runtime.GOOS).
	GOOS string
	// Home is the user's home directory.
	Home string
	// AppData is Windows' %APPDATA% (default Home\AppData\Roaming).
	AppData string
	// XDGConfigHome is $XDG_CONFIG_HOME on Linux (default Home/.config).
	XDGConfigHome string
	// CodexHome is $CODEX_HOME (default Home/.codex).
	CodexHome string
	// Project is the project directory for --scope project.
	Project string
}

// appConfigDir is where desktop applications keep their settings on each
// OS: ~/Library/Application Support, %APPDATA%, $XDG_CONFIG_HOME.
func (d Dirs) appConfigDir() (string, error) {
	if d.Home == "" {
		return "", fmt.Errorf("the home directory is not known: set HOME or pass --config FILE")
	}
	switch d.GOOS {
	case "darwin":
		return filepath.Join(d.Home, "Library", "Application Support"), nil
	case "windows":
		if d.AppData != "" {
			return d.AppData, nil
		}
		return filepath.Join(d.Home, "AppData", "Roaming"), nil
	default:
		if d.XDGConfigHome != "" {
			return d.XDGConfigHome, nil
		}
		return filepath.Join(d.Home, ".config"), nil
	}
}

func inHome(parts ...string) func(Dirs) (string, error) {
	return func(d Dirs) (string, error) {
		if d.Home == "" {
			return "", fmt.Errorf("the home directory is not known: set HOME or pass --config FILE")
		}
		return filepath.Join(append([]string{d.Home}, parts...)...), nil
	}
}

func inAppConfig(parts ...string) func(Dirs) (string, error) {
	return func(d Dirs) (string, error) {
		dir, err := d.appConfigDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(append([]string{dir}, parts...)...), nil
	}
}

// clients are the supported clients and their documented locations.
var clients = []*Client{
	{
		// Settings > Developer > Edit Config opens this file.
		Name: "claude-desktop", Title: "Claude Desktop", ServersKey: "mcpServers",
		user: inAppConfig("Claude", "claude_desktop_config.json"),
	},
	{
		// `claude mcp add --scope user` writes ~/.claude.json; the
		// project scope is .mcp.json at the project's root.
		Name: "claude-code", Title: "Claude Code", ServersKey: "mcpServers", StdioType: true,
		user: inHome(".claude.json"), project: ".mcp.json",
	},
	{
		Name: "cursor", Title: "Cursor", ServersKey: "mcpServers",
		user: inHome(".cursor", "mcp.json"), project: filepath.Join(".cursor", "mcp.json"),
	},
	{
		// The user profile's mcp.json (MCP: Open User Configuration), and
		// the workspace's .vscode/mcp.json. VS Code reads JSONC.
		Name: "vscode", Title: "VS Code", ServersKey: "servers", StdioType: true,
		user: inAppConfig("Code", "User", "mcp.json"), project: filepath.Join(".vscode", "mcp.json"),
	},
	{
		Name: "windsurf", Title: "Windsurf", ServersKey: "mcpServers",
		user: inHome(".codeium", "windsurf", "mcp_config.json"),
	},
	{
		Name: "codex", Title: "Codex", Format: TOML, ServersKey: "mcp_servers",
		user: func(d Dirs) (string, error) {
			if d.CodexHome != "" {
				return filepath.Join(d.CodexHome, "config.toml"), nil
			}
			return inHome(".codex", "config.toml")(d)
		},
	},
}

// Names lists the supported clients, for help and error messages.
func Names() []string {
	out := make([]string, len(clients))
	for i, c := range clients {
		out[i] = c.Name
	}
	return out
}

// Lookup finds a client by name.
func Lookup(name string) (*Client, error) {
	for _, c := range clients {
		if c.Name == name {
			return c, nil
		}
	}
	return nil, fmt.Errorf("unknown client %q: choose one of %s", name, strings.Join(Names(), ", "))
}

// Scopes lists the scopes the client has, user first.
func (c *Client) Scopes() []Scope {
	s := []Scope{User}
	if c.project != "" {
		s = append(s, Project)
	}
	return s
}

// Path is the client's configuration file for scope ("" is User).
func (c *Client) Path(scope Scope, d Dirs) (string, error) {
	switch scope {
	case "", User:
		return c.user(d)
	case Project:
		if c.project == "" {
			return "", fmt.Errorf("%s has no project configuration: use --scope user", c.Title)
		}
		if d.Project == "" {
			return "", fmt.Errorf("the project directory is not known")
		}
		return filepath.Join(d.Project, c.project), nil
	}
	return "", fmt.Errorf("unknown scope %q: want %s", scope, strings.Join(slices.Collect(func(yield func(string) bool) {
		for _, s := range c.Scopes() {
			if !yield(string(s)) {
				return
			}
		}
	}), " or "))
}

// Entry is a server entry: the command a client starts, over stdio.
type Entry struct {
	Command string            `json:"command" toml:"command"`
	Args    []string          `json:"args,omitempty" toml:"args,omitempty"`
	Env     map[string]string `json:"env,omitempty" toml:"env,omitempty,inline"`
}

// Equal reports whether two entries start the same server the same way.
func (e Entry) Equal(o Entry) bool {
	if e.Command != o.Command || !slices.Equal(e.Args, o.Args) || len(e.Env) != len(o.Env) {
		return false
	}
	for k, v := range e.Env {
		if w, ok := o.Env[k]; !ok || w != v {
			return false
		}
	}
	return true
}
