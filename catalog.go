package mpak

import (
	"cmp"
	"context"

	"oras.land/oras-go/v2/registry"

	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/oci/resolve"
)

// Catalog is the client of mpakd's JSON API: Options.CatalogURL, else the
// default registry itself, which is an mpakd when mpak's own server is in
// use.
func (c *Client) Catalog() *catalogapi.Client {
	base := c.opts.CatalogURL
	if base == "" {
		scheme := "https://"
		if c.opts.Remote.UsePlainHTTP(c.opts.Defaults.Registry) {
			scheme = "http://"
		}
		base = scheme + c.opts.Defaults.Registry
	}
	return &catalogapi.Client{BaseURL: base, UserAgent: cmp.Or(c.opts.Remote.UserAgent, connect.DefaultUserAgent)}
}

// Search asks the catalog for bundles matching q: each with its latest
// version, ranked by relevance unless q.Sort says otherwise.
func (c *Client) Search(ctx context.Context, q catalogapi.Query) (*catalogapi.SearchResponse, error) {
	return c.Catalog().Search(ctx, q)
}

// Show asks the catalog about the bundle s names (any version in s is
// ignored): its latest version in full, every version, downloads.
func (c *Client) Show(ctx context.Context, s string) (*catalogapi.BundleDetail, error) {
	r, err := c.Parse(s)
	if err != nil {
		return nil, err
	}
	return c.Catalog().Bundle(ctx, r.Repository)
}

// Versions are the versions published in a repository, as its tags say,
// highest first.
type Versions struct {
	Ref ref.Reference
	// Versions leave out what is no version: cosign's and the referrers
	// fallback's tags (sha256-*, *.sig, *.att).
	Versions []string
}

// Versions lists the versions of the repository s names, from the
// registry itself (no catalog needed).
func (c *Client) Versions(ctx context.Context, s string) (*Versions, error) {
	r, err := c.Parse(s)
	if err != nil {
		return nil, err
	}
	repo, err := c.opts.Remote.Repository(r)
	if err != nil {
		return nil, err
	}
	tags, err := registry.Tags(ctx, repo)
	if err != nil {
		return nil, err
	}
	return &Versions{Ref: r, Versions: resolve.Versions(tags)}, nil
}
