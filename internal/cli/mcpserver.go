package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os/exec"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak/catalogmcp"
	"github.com/mpak-oci/mpak/mcpclients"
	"github.com/mpak-oci/mpak/mediatypes"
)

// `mpak mcp`: mpak as an MCP server over stdio, so an agent can find,
// vet and install bundles. The catalog tools are package catalogmcp's,
// as mpakd serves them at /mcp; install, uninstall and list call the
// facade (mpak.Client.InstallInto, ...) through the same helpers as the
// command line (installInto, ...). Everything reads the user's configuration
// exactly as the command line does, and no argument can widen the trust
// policy: there is no key, level or skip to pass.
//
// Scanning needs the scanners, which mpak does not link (see
// Companion): scan_bundle runs `mpak-trust bundle scan --json`.
// Verification stays in process, on oci/verify's standard-library crypto.

func (a *App) mcpCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "mcp",
		Short: "Serve mpak to an agent as an MCP server over stdio (search, vet and install bundles)",
		Long: "Speaks MCP on stdin/stdout. Tools: search_bundles, show_bundle, bundle_versions, trust_summary (the\n" +
			"registry's catalog), verify_bundle and scan_bundle (against your policy's keys), install_bundle,\n" +
			"uninstall_bundle and list_installed (MCP clients' configuration files, as mpak install does).\n" +
			"Resources: mpak://manifest/REF and mpak://readme/REF. The registry and the trust policy are your\n" +
			"configuration's; nothing an agent passes can loosen the policy.",
		Example: "  claude mcp add mpak -- mpak mcp",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.mcpServer()
			if err != nil {
				return err
			}
			return s.Run(cmd.Context(), &mcp.IOTransport{Reader: io.NopCloser(a.Stdin), Writer: nopWriteCloser{a.Stdout}})
		},
	}
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

func (a *App) mcpServer() (*mcp.Server, error) {
	c, err := a.PlainClient(false)
	if err != nil {
		return nil, err
	}
	cat := c.Catalog()
	s := mcp.NewServer(&mcp.Implementation{Name: "mpak", Title: "mpak", Version: a.version()}, &mcp.ServerOptions{
		Instructions: "Find MCP servers (bundles) in the user's registry, check their trust, and install them into the " +
			"user's MCP clients. Installing refuses what the user's trust policy refuses; say why instead of retrying.",
	})
	catalogmcp.AddTools(s, cat)
	yes, no := true, false
	mcp.AddTool(s, &mcp.Tool{Name: "verify_bundle", Title: "Verify a bundle's signatures",
		Description: "Resolve a bundle reference (@scope/name[@version|range], or host/repo:tag) and check its signatures " +
			"against the keys the user's policy trusts, and whether the policy allows the version.",
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: &yes}}, a.mcpVerify)
	mcp.AddTool(s, &mcp.Tool{Name: "scan_bundle", Title: "Scan a bundle",
		Description: "Download a bundle version and check it against the trust levels L1-L4 offline: every control's " +
			"status and evidence. Nothing is attached to the registry.",
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: &yes}}, a.mcpScan)
	mcp.AddTool(s, &mcp.Tool{Name: "install_bundle", Title: "Install a bundle into an MCP client",
		Description: "Add an entry running `mpak run REF` to an MCP client's configuration file (" + strings.Join(mcpclients.Names(), ", ") +
			"), keeping everything else in it. Refuses a bundle the user's policy refuses, an unreadable file, and a " +
			"name already used by an entry mpak did not write. Values marked sensitive go to mpak's private config, " +
			"never into the client's file. The client must be restarted to load it.",
		Annotations: &mcp.ToolAnnotations{DestructiveHint: &no, IdempotentHint: true, OpenWorldHint: &yes}}, a.mcpInstall)
	mcp.AddTool(s, &mcp.Tool{Name: "uninstall_bundle", Title: "Uninstall a bundle from an MCP client",
		Description: "Remove the entry mpak installed for a bundle from an MCP client's configuration file; entries mpak did not write are left alone.",
		Annotations: &mcp.ToolAnnotations{DestructiveHint: &yes, IdempotentHint: true, OpenWorldHint: &no}}, a.mcpUninstall)
	mcp.AddTool(s, &mcp.Tool{Name: "list_installed", Title: "List installed bundles",
		Description: "What mpak installed into which MCP client, the version each resolves to now and whether an update is available.",
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: &yes}}, a.mcpList)

	for _, r := range []struct{ kind, mime, what string }{
		{"manifest", "application/json", "the bundle's manifest.json as published (tools, user_config, server)"},
		{"readme", "text/markdown", "the bundle's README"},
	} {
		kind, mime := r.kind, r.mime
		s.AddResourceTemplate(&mcp.ResourceTemplate{Name: kind, Title: kind, MIMEType: mime, URITemplate: "mpak://" + kind + "/{+ref}",
			Description: "For a bundle reference such as @scope/name or @scope/name@1.2.0: " + r.what + "."},
			func(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
				return a.mcpResource(ctx, kind, mime, req.Params.URI)
			})
	}
	return s, nil
}

// RefInput names a bundle version.
type RefInput struct {
	Ref string `json:"ref" jsonschema:"bundle reference: @scope/name, @scope/name@1.2.0, @scope/name@^1.2, or host/repository:tag"`
}

// VerifyOutput is verify_bundle's answer.
type VerifyOutput struct {
	Reference string `json:"reference"`
	Version   string `json:"version"`
	Digest    string `json:"digest"`
	// Signatures verified with a key the policy trusts.
	Signatures []SignatureOut `json:"signatures"`
	Problems   []string       `json:"problems,omitempty" jsonschema:"signatures found that did not verify, and why"`
	Allowed    bool           `json:"allowed" jsonschema:"whether the user's trust policy allows this version"`
	Refusal    string         `json:"refusal,omitempty" jsonschema:"why the policy refuses it"`
}

// SignatureOut is one verified signature.
type SignatureOut struct {
	KeyID  string `json:"key_id"`
	Format string `json:"format"`
}

func (a *App) mcpVerify(ctx context.Context, _ *mcp.CallToolRequest, in RefInput) (*mcp.CallToolResult, VerifyOutput, error) {
	c, err := a.Client(PolicyFlags{})
	if err != nil {
		return nil, VerifyOutput{}, err
	}
	chk, err := c.VerifySignatures(ctx, in.Ref)
	if err != nil {
		return nil, VerifyOutput{}, err
	}
	r := chk.Resolved
	out := VerifyOutput{Reference: r.Name(), Version: r.Version.Reference, Digest: r.Version.Root.Digest.String(),
		Signatures: []SignatureOut{}, Allowed: chk.Refusal == nil}
	for _, sig := range chk.Signatures {
		out.Signatures = append(out.Signatures, SignatureOut{KeyID: sig.KeyID, Format: sig.Format})
	}
	for _, p := range chk.Problems {
		out.Problems = append(out.Problems, p.Error())
	}
	if chk.Refusal != nil {
		out.Refusal = chk.Refusal.Error()
	}
	return nil, out, nil
}

// ScanOutput is scan_bundle's answer.
type ScanOutput struct {
	Ref    string         `json:"ref"`
	Report map[string]any `json:"report" jsonschema:"the scan report: level reached, risk, and every control with status and evidence"`
}

func (a *App) mcpScan(ctx context.Context, _ *mcp.CallToolRequest, in RefInput) (*mcp.CallToolResult, ScanOutput, error) {
	if strings.HasPrefix(in.Ref, "-") {
		return nil, ScanOutput{}, fmt.Errorf("%q is not a bundle reference", in.Ref)
	}
	path, err := findCompanion()
	if err != nil {
		return nil, ScanOutput{}, fmt.Errorf("scan_bundle %w", err)
	}
	cmd := exec.CommandContext(ctx, path, "bundle", "scan", "--json", "--", in.Ref)
	cmd.Env = a.Environ()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, ScanOutput{}, errors.New(msg)
	}
	out := ScanOutput{Ref: in.Ref}
	if err := json.Unmarshal(stdout.Bytes(), &out.Report); err != nil {
		return nil, ScanOutput{}, fmt.Errorf("reading %s's report: %w", TrustBinary, err)
	}
	return nil, out, nil
}

// InstallInput is install_bundle's arguments.
type InstallInput struct {
	Ref    string `json:"ref" jsonschema:"bundle reference: @scope/name, @scope/name@1.2.0, @scope/name@^1.2, or host/repository:tag"`
	Client string `json:"client" jsonschema:"the MCP client to configure"`
	Scope  string `json:"scope,omitempty" jsonschema:"user (default) or project (the working directory's file, for clients that have one)"`
	Name   string `json:"name,omitempty" jsonschema:"name of the entry in the client; default the bundle's name"`
	Pin    bool   `json:"pin,omitempty" jsonschema:"write the resolved digest so the client always runs these exact bytes"`
	// Config are user_config values: a string, or a list of strings for
	// an option that takes several.
	Config map[string]any `json:"config,omitempty" jsonschema:"user_config values the bundle asks for (see show_bundle): key to string, or to a list of strings"`
}

func (a *App) mcpInstall(ctx context.Context, _ *mcp.CallToolRequest, in InstallInput) (*mcp.CallToolResult, InstallResult, error) {
	given := map[string][]string{}
	for k, v := range in.Config {
		switch v := v.(type) {
		case string:
			given[k] = []string{v}
		case []any:
			for _, e := range v {
				s, ok := e.(string)
				if !ok {
					return nil, InstallResult{}, fmt.Errorf("config %q: want strings, got %v", k, e)
				}
				given[k] = append(given[k], s)
			}
		case bool, float64:
			given[k] = []string{fmt.Sprint(v)}
		default:
			return nil, InstallResult{}, fmt.Errorf("config %q: want a string or a list of strings", k)
		}
	}
	scope := in.Scope
	if scope == "" {
		scope = string(mcpclients.User)
	}
	res, err := a.installInto(ctx, installRequest{ref: in.Ref, target: clientFlags{client: in.Client, scope: scope}, name: in.Name,
		given: given, pin: in.Pin, agent: true})
	if err != nil {
		return nil, InstallResult{}, err
	}
	return nil, *res, nil
}

// UninstallInput is uninstall_bundle's arguments.
type UninstallInput struct {
	Ref    string `json:"ref" jsonschema:"the bundle, as installed: @scope/name or host/repository"`
	Client string `json:"client" jsonschema:"the MCP client"`
	Scope  string `json:"scope,omitempty" jsonschema:"user (default) or project"`
}

func (a *App) mcpUninstall(ctx context.Context, _ *mcp.CallToolRequest, in UninstallInput) (*mcp.CallToolResult, InstallResult, error) {
	scope := in.Scope
	if scope == "" {
		scope = string(mcpclients.User)
	}
	res, err := a.uninstallFrom(ctx, in.Ref, clientFlags{client: in.Client, scope: scope}, "", false)
	if err != nil {
		return nil, InstallResult{}, err
	}
	return nil, *res, nil
}

// ListInput is list_installed's arguments.
type ListInput struct {
	Client string `json:"client,omitempty" jsonschema:"only this MCP client"`
}

// ListOutput is list_installed's answer.
type ListOutput struct {
	Installed []Installed `json:"installed"`
}

func (a *App) mcpList(ctx context.Context, _ *mcp.CallToolRequest, in ListInput) (*mcp.CallToolResult, ListOutput, error) {
	list, err := a.listInstalled(ctx, in.Client, false)
	if err != nil {
		return nil, ListOutput{}, err
	}
	return nil, ListOutput{Installed: list}, nil
}

// mcpResource reads mpak://manifest/REF or mpak://readme/REF.
func (a *App) mcpResource(ctx context.Context, kind, mime, uri string) (*mcp.ReadResourceResult, error) {
	raw, ok := strings.CutPrefix(uri, "mpak://"+kind+"/")
	if !ok || raw == "" {
		return nil, mcp.ResourceNotFoundError(uri)
	}
	ref, err := url.PathUnescape(raw)
	if err != nil {
		return nil, mcp.ResourceNotFoundError(uri)
	}
	c, err := a.PlainClient(false)
	if err != nil {
		return nil, err
	}
	var text []byte
	switch kind {
	case "manifest":
		if _, text, err = c.ManifestJSON(ctx, ref); err != nil {
			return nil, err
		}
	default:
		in, err := c.Inspect(ctx, ref, mediatypes.Host())
		if err != nil {
			return nil, err
		}
		defer in.Close()
		var rc io.ReadCloser
		for _, name := range []string{"README.md", "readme.md", "README", "README.txt"} {
			if rc, err = in.Archive.Open(name); err == nil {
				break
			}
		}
		if rc == nil {
			return nil, fmt.Errorf("%s has no README: %w", ref, mcp.ResourceNotFoundError(uri))
		}
		defer rc.Close()
		if text, err = io.ReadAll(io.LimitReader(rc, 1<<20)); err != nil {
			return nil, err
		}
	}
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: mime, Text: string(text)}}}, nil
}
