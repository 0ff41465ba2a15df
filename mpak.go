// Package mpak is mpak as a Go API: one Client, built from explicit
// options, that resolves, pulls, installs and starts MCP bundles stored
// in OCI registries, with the rules that make it safe behind its methods:
// a reference is resolved once and every later step uses that digest, and
// the trust policy is checked before anything is fetched or run.
//
// It sits over the oci/* packages the way crane sits over
// go-containerregistry's pkg/v1; the mpak command line (internal/cli) is
// flags and rendering over it. It reads no environment variable and no
// file it was not told about: the caller passes the registry defaults,
// the cache, the policy and the environment servers inherit.
package mpak

import (
	"github.com/mpak-oci/mpak/cache"
	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/policy"
)

// Options configure a Client. The zero value reaches registries with the
// docker config's credentials, resolves @scope/name on ref.DefaultRegistry,
// requires no signature and has no cache.
type Options struct {
	// Remote reaches registries: credentials, plain HTTP, TLS, user agent.
	Remote connect.Options
	// Defaults is where @scope/name references live (zero:
	// ref.DefaultRegistry, the local mpakd).
	Defaults ref.Defaults
	// Cache holds installed bundles; Install and Command need it.
	Cache *cache.Cache
	// Policy is what a version must show before it is pulled, installed
	// or run; nil (or an inactive policy) requires nothing.
	Policy *policy.Policy
	// Limits cap what reading a bundle archive may unpack (zero fields:
	// mcpb.DefaultLimits).
	Limits mcpb.Limits
	// Environ is the environment servers inherit and user_config
	// values are read from (KEY=VALUE, as from os.Environ); nil is none.
	Environ []string
	// CatalogURL is where Search and Show find mpakd's JSON API (empty:
	// the default registry, which is an mpakd when mpak's own server is
	// in use).
	CatalogURL string
}

// Client does what the mpak command does, as a library.
type Client struct {
	opts Options
}

// New returns a Client with opts.
func New(opts Options) *Client {
	if opts.Defaults.Registry == "" {
		opts.Defaults.Registry = ref.DefaultRegistry
	}
	return &Client{opts: opts}
}

// Parse reads a reference as users type it (@scope/name@range,
// host/repo:tag, ...@sha256:...), resolving @scope/name on Defaults.
func (c *Client) Parse(s string) (ref.Reference, error) { return ref.Parse(s, c.opts.Defaults) }

// Options returns the options c was built with (defaults filled in), for
// packages that extend the Client, such as trust.
func (c *Client) Options() Options { return c.opts }
