package catalogapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// EnvIndexURL names the variable in which mpak's users say where the
// catalog API is, when it is not the default registry (the name is from
// when the catalog was called the index). This package does not read it;
// its errors are typed, and the command line names it as the fix.
const EnvIndexURL = "MPAK_INDEX_URL"

// Client reads an mpakd catalog.
type Client struct {
	// BaseURL is the server root, e.g. http://localhost:5000.
	BaseURL string
	HTTP    *http.Client
	// UserAgent is sent with every request.
	UserAgent string
}

// Query is a search; zero fields are not sent.
type Query struct {
	Text     string
	Type     string
	OS, Arch string
	MinLevel int
	Signed   bool
	Sort     string
	Limit    int
	Offset   int
}

func (q Query) values() url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("q", q.Text)
	set("type", q.Type)
	set("os", q.OS)
	set("arch", q.Arch)
	set("sort", q.Sort)
	if q.MinLevel > 0 {
		v.Set("min_level", strconv.Itoa(q.MinLevel))
	}
	if q.Signed {
		v.Set("signed", "true")
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Offset > 0 {
		v.Set("offset", strconv.Itoa(q.Offset))
	}
	return v
}

// Search runs GET /v1/bundles/search.
func (c *Client) Search(ctx context.Context, q Query) (*SearchResponse, error) {
	var out SearchResponse
	return &out, c.get(ctx, "/v1/bundles/search?"+q.values().Encode(), &out)
}

// Bundle runs GET /v1/bundles/{repository}: repository is the registry path
// ("acme/weather") or "@scope/name".
func (c *Client) Bundle(ctx context.Context, repository string) (*BundleDetail, error) {
	var out BundleDetail
	return &out, c.get(ctx, "/v1/bundles/"+escapePath(repository), &out)
}

// Version runs GET /v1/bundles/{repository}/versions/{version}.
func (c *Client) Version(ctx context.Context, repository, version string) (*VersionDetail, error) {
	var out VersionDetail
	return &out, c.get(ctx, "/v1/bundles/"+escapePath(repository)+"/versions/"+url.PathEscape(version), &out)
}

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

// UnreachableError: no answer from BaseURL at all.
type UnreachableError struct {
	BaseURL string
	Err     error
}

func (e *UnreachableError) Error() string { return fmt.Sprintf("catalog %s: %v", e.BaseURL, e.Err) }
func (e *UnreachableError) Unwrap() error { return e.Err }

// NotCatalogError: BaseURL answers, but not the catalog API (a 404
// without an API error body): it is no mpakd.
type NotCatalogError struct{ BaseURL, Path string }

func (e *NotCatalogError) Error() string {
	return fmt.Sprintf("catalog %s: %s answers 404: it is not an mpakd with a catalog", e.BaseURL, e.Path)
}

func (c *Client) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(c.BaseURL, "/")+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return &UnreachableError{BaseURL: c.BaseURL, Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e Error
		if json.Unmarshal(body, &e) == nil && e.Err.Code != "" {
			return fmt.Errorf("catalog %s: %w", c.BaseURL, &e)
		}
		if resp.StatusCode == http.StatusNotFound {
			return &NotCatalogError{BaseURL: c.BaseURL, Path: path}
		}
		return fmt.Errorf("catalog %s: %s: %s", c.BaseURL, resp.Status, strings.TrimSpace(string(body)))
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("catalog %s: unexpected answer: %w", c.BaseURL, err)
	}
	return nil
}
