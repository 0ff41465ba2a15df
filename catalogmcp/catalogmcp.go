// Package catalogmcp serves an mpakd catalog to agents as MCP tools:
// search_bundles, show_bundle, bundle_versions and trust_summary. They
// read the catalog through its JSON API (catalogapi), so they answer
// exactly what that API answers to the same client, read rules included,
// and they are read-only. mpakd mounts them at /mcp (registry/mcphttp);
// `mpak mcp` adds its own client-side tools beside them.
package catalogmcp

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mpak-oci/mpak/catalogapi"
)

// Catalog is what the tools read: catalogapi.Client satisfies it.
type Catalog interface {
	Search(ctx context.Context, q catalogapi.Query) (*catalogapi.SearchResponse, error)
	Bundle(ctx context.Context, name string) (*catalogapi.BundleDetail, error)
	Version(ctx context.Context, name, version string) (*catalogapi.VersionDetail, error)
}

// AddTools adds the catalog tools to s, reading cat.
func AddTools(s *mcp.Server, cat Catalog) {
	t := tools{cat}
	closed := false // the tools read one catalog, not the open web
	ro := &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: &closed}
	mcp.AddTool(s, &mcp.Tool{Name: "search_bundles", Title: "Search bundles", Annotations: ro,
		Description: "Search the registry's MCP bundles (MCP servers packaged as .mcpb) by words in their name, " +
			"description, keywords and tool names, with optional filters. Results are paged: pass next_offset as offset for more."},
		t.search)
	mcp.AddTool(s, &mcp.Tool{Name: "show_bundle", Title: "Show a bundle", Annotations: ro,
		Description: "Details of one bundle (@scope/name or repository path): description, versions, tools, " +
			"user_config it asks for, platforms, and trust (signature, provenance, verified scan level). " +
			"Without version, the latest release."},
		t.show)
	mcp.AddTool(s, &mcp.Tool{Name: "bundle_versions", Title: "List a bundle's versions", Annotations: ro,
		Description: "Every published version of a bundle, newest first, with digest, platforms, publication time and whether it is yanked."},
		t.versions)
	mcp.AddTool(s, &mcp.Tool{Name: "trust_summary", Title: "Trust summary", Annotations: ro,
		Description: "What the registry knows about a version's trust: signed or not, who signed it and the build " +
			"provenance they claim, the scan level and whether a trusted scanner vouches for it, each scan control's result."},
		t.trust)
}

type tools struct{ cat Catalog }

// SearchInput is search_bundles' arguments.
type SearchInput struct {
	Query    string `json:"query,omitempty" jsonschema:"words to look for; empty lists every bundle"`
	Type     string `json:"type,omitempty" jsonschema:"server type: node, python, binary or uv"`
	OS       string `json:"os,omitempty" jsonschema:"only bundles with a build for this OS (linux, darwin, windows)"`
	Arch     string `json:"arch,omitempty" jsonschema:"only bundles with a build for this architecture (amd64, arm64)"`
	MinLevel int    `json:"min_level,omitempty" jsonschema:"only bundles whose verified scan level is at least this (0-4)"`
	Signed   bool   `json:"signed,omitempty" jsonschema:"only signed bundles"`
	Sort     string `json:"sort,omitempty" jsonschema:"relevance (default), downloads, recent or name"`
	Limit    int    `json:"limit,omitempty" jsonschema:"results per page (default 20)"`
	Offset   int    `json:"offset,omitempty" jsonschema:"results to skip: the next_offset of the previous page"`
}

// Hit is one search result.
type Hit struct {
	Name          string   `json:"name"`
	Reference     string   `json:"reference" jsonschema:"fully qualified reference to install or run"`
	Description   string   `json:"description"`
	Version       string   `json:"version"`
	ServerType    string   `json:"server_type"`
	Platforms     []string `json:"platforms"`
	Tools         []string `json:"tools"`
	Downloads     int64    `json:"downloads"`
	Signed        bool     `json:"signed"`
	Level         int      `json:"level"`
	LevelVerified bool     `json:"level_verified"`
	Yanked        bool     `json:"yanked,omitempty"`
}

// SearchOutput is a page of results.
type SearchOutput struct {
	Bundles    []Hit `json:"bundles"`
	Total      int   `json:"total"`
	NextOffset int   `json:"next_offset,omitempty" jsonschema:"offset of the next page; absent on the last page"`
}

func (t tools) search(ctx context.Context, _ *mcp.CallToolRequest, in SearchInput) (*mcp.CallToolResult, SearchOutput, error) {
	res, err := t.cat.Search(ctx, catalogapi.Query{Text: in.Query, Type: in.Type, OS: in.OS, Arch: in.Arch,
		MinLevel: in.MinLevel, Signed: in.Signed, Sort: in.Sort, Limit: in.Limit, Offset: in.Offset})
	if err != nil {
		return nil, SearchOutput{}, err
	}
	out := SearchOutput{Bundles: []Hit{}, Total: res.Total}
	for _, b := range res.Bundles {
		out.Bundles = append(out.Bundles, Hit{Name: b.Name, Reference: b.Reference, Description: b.Description, Version: b.Version,
			ServerType: b.ServerType, Platforms: nonNil(b.Platforms), Tools: nonNil(b.Tools), Downloads: b.Downloads, Signed: b.Signed,
			Level: b.Level, LevelVerified: b.LevelVerified, Yanked: b.Yanked})
	}
	if res.Pagination.HasMore {
		out.NextOffset = res.Pagination.Offset + len(res.Bundles)
	}
	return nil, out, nil
}

// BundleInput names a bundle and, optionally, a version.
type BundleInput struct {
	Name    string `json:"name" jsonschema:"the bundle: @scope/name or its repository path"`
	Version string `json:"version,omitempty" jsonschema:"an exact version; default the latest release"`
}

// Trust is what the registry knows about a version's trust.
type Trust struct {
	Signed bool `json:"signed"`
	// Level counts only when LevelVerified: signed by a scanner the
	// registry trusts.
	Level         int    `json:"level"`
	LevelVerified bool   `json:"level_verified"`
	ClaimedLevel  int    `json:"claimed_level,omitempty" jsonschema:"a higher level an unsigned scan report claims: unverified"`
	Yanked        bool   `json:"yanked,omitempty"`
	YankReason    string `json:"yank_reason,omitempty"`
	Tampered      string `json:"tampered,omitempty" jsonschema:"the digest the tag was found to name instead of the published one"`
	// Provenance is what the signatures and attestations claim, unverified.
	Provenance map[string]any `json:"provenance,omitempty"`
}

// Version is one published version.
type Version struct {
	Version     string   `json:"version"`
	Digest      string   `json:"digest"`
	PublishedAt string   `json:"published_at"`
	Prerelease  bool     `json:"prerelease,omitempty"`
	Platforms   []string `json:"platforms"`
	Downloads   int64    `json:"downloads"`
	Yanked      bool     `json:"yanked,omitempty"`
	YankReason  string   `json:"yank_reason,omitempty"`
}

// Tool is a tool the bundle declares.
type Tool struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// BundleOutput is show_bundle's answer.
type BundleOutput struct {
	Name        string    `json:"name"`
	Repository  string    `json:"repository"`
	Reference   string    `json:"reference" jsonschema:"fully qualified reference of this version"`
	Version     string    `json:"version"`
	Latest      string    `json:"latest"`
	DisplayName string    `json:"display_name,omitempty"`
	Description string    `json:"description"`
	Author      string    `json:"author,omitempty"`
	License     string    `json:"license,omitempty"`
	Homepage    string    `json:"homepage,omitempty"`
	SourceURL   string    `json:"source_url,omitempty"`
	ServerType  string    `json:"server_type"`
	Tools       []Tool    `json:"tools"`
	Platforms   []string  `json:"platforms"`
	Downloads   int64     `json:"downloads"`
	Versions    []Version `json:"versions"`
	// UserConfig is the manifest's user_config: what the server asks the
	// user for (type, title, required, sensitive, default).
	UserConfig map[string]any `json:"user_config,omitempty"`
	Trust      Trust          `json:"trust"`
}

func (t tools) show(ctx context.Context, _ *mcp.CallToolRequest, in BundleInput) (*mcp.CallToolResult, BundleOutput, error) {
	d, err := t.cat.Bundle(ctx, in.Name)
	if err != nil {
		return nil, BundleOutput{}, err
	}
	v := &d.VersionDetail
	if in.Version != "" && in.Version != v.Version {
		if v, err = t.cat.Version(ctx, in.Name, in.Version); err != nil {
			return nil, BundleOutput{}, err
		}
	}
	out := BundleOutput{Name: v.Name, Repository: v.Repository, Reference: v.Reference, Version: v.Version, Latest: d.Latest,
		DisplayName: v.DisplayName, Description: v.Description, Author: v.Author, License: v.License, Homepage: v.Homepage,
		SourceURL: v.SourceURL, ServerType: v.ServerType, Tools: []Tool{}, Platforms: []string{}, Downloads: d.Downloads,
		Versions: versions(d.Versions), Trust: trustOf(v)}
	for _, tool := range v.Tools {
		out.Tools = append(out.Tools, Tool(tool))
	}
	for _, b := range v.Builds {
		out.Platforms = append(out.Platforms, b.Platform)
	}
	if uc, ok := v.Manifest["user_config"].(map[string]any); ok {
		out.UserConfig = uc
	}
	return nil, out, nil
}

// VersionsOutput is bundle_versions' answer.
type VersionsOutput struct {
	Name     string    `json:"name"`
	Latest   string    `json:"latest"`
	Versions []Version `json:"versions"`
}

func (t tools) versions(ctx context.Context, _ *mcp.CallToolRequest, in BundleInput) (*mcp.CallToolResult, VersionsOutput, error) {
	d, err := t.cat.Bundle(ctx, in.Name)
	if err != nil {
		return nil, VersionsOutput{}, err
	}
	return nil, VersionsOutput{Name: d.Name, Latest: d.Latest, Versions: versions(d.Versions)}, nil
}

// TrustOutput is trust_summary's answer.
type TrustOutput struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Digest    string `json:"digest"`
	Reference string `json:"reference"`
	Trust
	// Scan is the scan report the level comes from (else the newest
	// unverified one): each control's status, evidence and remediation.
	Scan map[string]any `json:"scan,omitempty"`
}

func (t tools) trust(ctx context.Context, _ *mcp.CallToolRequest, in BundleInput) (*mcp.CallToolResult, TrustOutput, error) {
	var v *catalogapi.VersionDetail
	if in.Version == "" {
		d, err := t.cat.Bundle(ctx, in.Name)
		if err != nil {
			return nil, TrustOutput{}, err
		}
		v = &d.VersionDetail
	} else {
		var err error
		if v, err = t.cat.Version(ctx, in.Name, in.Version); err != nil {
			return nil, TrustOutput{}, err
		}
	}
	out := TrustOutput{Name: v.Name, Version: v.Version, Digest: v.Digest, Reference: v.Reference, Trust: trustOf(v)}
	if len(v.Scan) > 0 {
		if err := json.Unmarshal(v.Scan, &out.Scan); err != nil {
			return nil, TrustOutput{}, fmt.Errorf("the catalog's scan report for %s: %w", v.Reference, err)
		}
	}
	return nil, out, nil
}

func trustOf(v *catalogapi.VersionDetail) Trust {
	t := Trust{Signed: v.Signed, Level: v.Level, LevelVerified: v.LevelVerified, ClaimedLevel: v.ClaimedLevel,
		Yanked: v.Yanked, YankReason: v.YankReason, Tampered: v.Tampered}
	if v.Provenance != nil {
		if b, err := json.Marshal(v.Provenance); err == nil {
			_ = json.Unmarshal(b, &t.Provenance)
		}
	}
	return t
}

func versions(vs []catalogapi.VersionSummary) []Version {
	out := []Version{}
	for _, v := range vs {
		out = append(out, Version{Version: v.Version, Digest: v.Digest, PublishedAt: v.PublishedAt.UTC().Format("2006-01-02T15:04:05Z"),
			Prerelease: v.Prerelease, Platforms: nonNil(v.Platforms), Downloads: v.Downloads, Yanked: v.Yanked, YankReason: v.YankReason})
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
