// Package mcphttp is mpakd's MCP endpoint: POST /mcp speaks MCP over
// Streamable HTTP and serves the catalog's read-only tools (package
// catalogmcp: search_bundles, show_bundle, bundle_versions,
// trust_summary) to agents.
//
// The tools read the catalog through mpakd's own JSON API handler, in
// process, with the MCP request's credentials: an agent sees exactly the
// bundles that client could read from /v1/bundles, by the same read rules
// and in the same words. The endpoint is stateless (a server per request),
// so no session outlives the credentials it was opened with.
package mcphttp

import (
	"net/http"
	"net/http/httptest"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/catalogmcp"
)

// Options configure the endpoint.
type Options struct {
	// API is the JSON API handler (registry/api) the tools read; required.
	API http.Handler
	// Version is mpakd's version, reported in the MCP handshake.
	Version string
}

// New returns the handler to mount at /mcp.
func New(opts Options) http.Handler {
	version := opts.Version
	if version == "" {
		version = "dev"
	}
	return mcp.NewStreamableHTTPHandler(func(r *http.Request) *mcp.Server {
		s := mcp.NewServer(&mcp.Implementation{Name: "mpakd", Title: "mpak registry", Version: version}, &mcp.ServerOptions{
			Instructions: "Find MCP servers packaged as bundles in this registry and check their trust before installing them " +
				"(with `mpak install REF --client NAME`, or the install_bundle tool of `mpak mcp`).",
		})
		catalogmcp.AddTools(s, &catalogapi.Client{BaseURL: "http://" + r.Host, HTTP: &http.Client{Transport: inProcess{api: opts.API, from: r}}})
		return s
	}, &mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true})
}

// inProcess answers the catalog client's requests with the API handler
// directly, as if from the client of the MCP request: its credentials
// and browser context travel along, so the API's read rules apply to it.
type inProcess struct {
	api  http.Handler
	from *http.Request
}

func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	for _, h := range []string{"Authorization", "Sec-Fetch-Site", "Sec-Fetch-Mode", "Sec-Fetch-Dest", "X-Forwarded-Proto", "X-Forwarded-Host"} {
		if v := t.from.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	req.Host = t.from.Host
	req.RemoteAddr = t.from.RemoteAddr
	rec := httptest.NewRecorder()
	t.api.ServeHTTP(rec, req)
	res := rec.Result()
	res.Request = req
	return res, nil
}
