package mcphttp_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"

	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/ref"
	mauth "github.com/mpak-oci/mpak/registry/auth"
	"github.com/mpak-oci/mpak/registry/auth/authtest"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/server"
)

// secret/** is alice's alone; everything else anyone reads.
const policy = `repositories:
  "**":
    anonymous: [read]
    authenticated: [read, push]
  "secret/**":
    policies:
      - users: [alice]
        actions: [read, push]
`

// mpakd serves a real mpakd (embedded registry, SQLite catalog, auth on)
// holding acme/weather 1.0.0 and 1.1.0 and secret/vault 1.0.0.
func mpakd(t *testing.T) string {
	t.Helper()
	files, _ := authtest.Files(t, authtest.Config{Users: authtest.Passwords("alice", "bob"), Policy: policy})
	tokens := authtest.Tokens(t, mauth.TokenOptions{})
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	srv, err := server.New(context.Background(), server.Options{DataDir: t.TempDir(), Store: store, Logger: slog.New(slog.DiscardHandler),
		Auth: &server.AuthOptions{Files: files, Tokens: tokens}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		srv.Shutdown(context.Background())
	})
	host := strings.TrimPrefix(hs.URL, "http://")
	push(t, host, "acme/weather", "weather", "1.0.0")
	push(t, host, "acme/weather", "weather", "1.1.0")
	push(t, host, "secret/vault", "vault", "1.0.0")
	return hs.URL
}

func push(t *testing.T, host, repository, name, version string) {
	t.Helper()
	plan, err := bundle.Prepare([]bundle.File{{Path: mcpbtest.Pack(t, name, version, ""), Platform: mediatypes.AnyPlatform}}, bundle.PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := ref.Parse(host+"/"+repository, ref.Defaults{})
	if err != nil {
		t.Fatal(err)
	}
	creds := credentials.NewMemoryStore()
	if err := creds.Put(context.Background(), host, auth.Credential{Username: "alice", Password: "alice-pw"}); err != nil {
		t.Fatal(err)
	}
	repo, err := connect.Options{Credentials: creds}.Repository(r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Push(context.Background(), repo, plan, version, bundle.PushOptions{}); err != nil {
		t.Fatalf("pushing %s: %v", repository, err)
	}
}

// basic adds HTTP Basic credentials to every request.
type basic struct{ user string }

func (b basic) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.SetBasicAuth(b.user, b.user+"-pw")
	return http.DefaultTransport.RoundTrip(r)
}

// connectAs opens an MCP session with the SDK's Streamable HTTP client,
// as user ("" anonymous).
func connectAs(t *testing.T, base, user string) *mcp.ClientSession {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	tr := &mcp.StreamableClientTransport{Endpoint: base + "/mcp"}
	if user != "" {
		tr.HTTPClient = &http.Client{Transport: basic{user}}
	}
	s, err := mcp.NewClient(&mcp.Implementation{Name: "agent", Version: "1"}, nil).Connect(ctx, tr, nil)
	if err != nil {
		t.Fatalf("MCP initialize at /mcp: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func call(t *testing.T, s *mcp.ClientSession, tool string, args map[string]any) (map[string]any, bool) {
	t.Helper()
	res, err := s.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	out, _ := res.StructuredContent.(map[string]any)
	return out, res.IsError
}

func names(out map[string]any) string {
	var n []string
	for _, b := range out["bundles"].([]any) {
		n = append(n, b.(map[string]any)["name"].(string))
	}
	return strings.Join(n, ",")
}

// TestCatalogOverMCP: every tool, through the SDK's Streamable HTTP
// client, against a real mpakd with real bundles; a private bundle is
// invisible to whoever may not read it, as in the JSON API.
func TestCatalogOverMCP(t *testing.T) {
	base := mpakd(t)
	anon := connectAs(t, base, "")

	tools, err := anon.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, tool := range tools.Tools {
		listed = append(listed, tool.Name)
		if tool.Annotations == nil || !tool.Annotations.ReadOnlyHint || tool.OutputSchema == nil {
			t.Errorf("%s: want read-only annotations and an output schema: %+v", tool.Name, tool.Annotations)
		}
	}
	if got := strings.Join(listed, ","); got != "bundle_versions,search_bundles,show_bundle,trust_summary" {
		t.Errorf("tools = %s", got)
	}

	out, isErr := call(t, anon, "search_bundles", map[string]any{})
	if isErr || names(out) != "@acme/weather" || out["total"].(float64) != 1 {
		t.Errorf("anonymous search: %v", out)
	}
	out, _ = call(t, anon, "search_bundles", map[string]any{"query": "weather", "limit": 1})
	if names(out) != "@acme/weather" {
		t.Errorf("search weather: %v", out)
	}

	out, isErr = call(t, anon, "show_bundle", map[string]any{"name": "acme/weather"})
	if isErr || out["version"] != "1.1.0" || out["latest"] != "1.1.0" || len(out["versions"].([]any)) != 2 || out["trust"].(map[string]any)["signed"] != false {
		t.Errorf("show_bundle: %v", out)
	}
	if out, _ = call(t, anon, "show_bundle", map[string]any{"name": "acme/weather", "version": "1.0.0"}); out["version"] != "1.0.0" {
		t.Errorf("show_bundle 1.0.0: %v", out)
	}
	out, _ = call(t, anon, "bundle_versions", map[string]any{"name": "acme/weather"})
	if vs := out["versions"].([]any); len(vs) != 2 || vs[0].(map[string]any)["version"] != "1.1.0" {
		t.Errorf("bundle_versions: %v", out)
	}
	out, isErr = call(t, anon, "trust_summary", map[string]any{"name": "acme/weather", "version": "1.0.0"})
	if isErr || out["version"] != "1.0.0" || out["signed"] != false || out["level_verified"] != false || !strings.HasPrefix(out["digest"].(string), "sha256:") {
		t.Errorf("trust_summary: %v", out)
	}

	// The read rules: the secret bundle does not exist for anonymous or
	// bob, and does for alice.
	if _, isErr := call(t, anon, "show_bundle", map[string]any{"name": "secret/vault"}); !isErr {
		t.Error("anonymous could read secret/vault")
	}
	bob := connectAs(t, base, "bob")
	if out, _ := call(t, bob, "search_bundles", map[string]any{"query": "vault"}); names(out) != "" {
		t.Errorf("bob finds %v", out)
	}
	alice := connectAs(t, base, "alice")
	if out, _ := call(t, alice, "search_bundles", map[string]any{"sort": "name"}); names(out) != "@acme/weather,@secret/vault" {
		t.Errorf("alice's search: %v", out)
	}
	if out, isErr := call(t, alice, "show_bundle", map[string]any{"name": "secret/vault"}); isErr || out["version"] != "1.0.0" {
		t.Errorf("alice's show_bundle: %v", out)
	}

	// Bad arguments are refused by the schema, not guessed at.
	if res, err := anon.CallTool(context.Background(), &mcp.CallToolParams{Name: "show_bundle", Arguments: map[string]any{}}); err == nil && !res.IsError {
		t.Error("show_bundle without a name was accepted")
	}
}
