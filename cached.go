package mpak

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mpak-oci/mpak/cache"
	"github.com/mpak-oci/mpak/mcpb"
)

// NotCachedError: nothing in the cache matches a query.
type NotCachedError struct{ Query string }

func (e *NotCachedError) Error() string { return "nothing cached matches " + e.Query }

// AmbiguousError: a digest prefix matches several cached bundles.
type AmbiguousError struct {
	Prefix  string
	Matches int
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("%s matches %d cached bundles", e.Prefix, e.Matches)
}

func (c *Client) cached() ([]cache.Entry, error) {
	if c.opts.Cache == nil {
		return nil, errNoCache
	}
	return c.opts.Cache.List()
}

// Match finds cached bundles by digest (sha256:..., or at least 6 hex
// digits of it, which must name one bundle) or by reference (every build
// of the repository it names, whatever version it asks for).
func (c *Client) Match(query string) ([]cache.Entry, error) {
	entries, err := c.cached()
	if err != nil {
		return nil, err
	}
	var out []cache.Entry
	if strings.HasPrefix(query, "sha256:") || isHexPrefix(query) {
		prefix := strings.TrimPrefix(query, "sha256:")
		for _, e := range entries {
			if strings.HasPrefix(e.Digest.Encoded(), prefix) {
				out = append(out, e)
			}
		}
		if len(out) > 1 {
			return nil, &AmbiguousError{Prefix: query, Matches: len(out)}
		}
	} else {
		r, err := c.Parse(query)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if e.Meta.Repository == r.RepositoryRef() {
				out = append(out, e)
			}
		}
	}
	if len(out) == 0 {
		return nil, &NotCachedError{Query: query}
	}
	return out, nil
}

// Uncache removes what Match finds for query, returning what it removed,
// also when a removal failed.
func (c *Client) Uncache(query string) ([]cache.Entry, error) {
	matched, err := c.Match(query)
	if err != nil {
		return nil, err
	}
	for i, e := range matched {
		if err := c.opts.Cache.Remove(e.Digest); err != nil {
			return matched[:i], err
		}
	}
	return matched, nil
}

// SensitiveKeys are the user_config keys that a cached build of the bundle
// marks sensitive; bundle is a repository (host/repo) or local/<name> for
// bundles run from a file. Unreadable builds are skipped: the answer only
// decides what to mask.
func (c *Client) SensitiveKeys(bundle string) map[string]bool {
	out := map[string]bool{}
	entries, err := c.cached()
	if err != nil {
		return out
	}
	for _, e := range entries {
		if e.Meta.Repository != bundle && "local/"+e.Meta.Name != bundle {
			continue
		}
		b, err := os.ReadFile(filepath.Join(e.Dir, mcpb.ManifestFile))
		if err != nil {
			continue
		}
		m, _, err := mcpb.ParseManifest(b, mcpb.ParseOptions{})
		if err != nil {
			continue
		}
		for k, o := range m.UserConfig {
			out[k] = out[k] || o.Sensitive
		}
	}
	return out
}

func isHexPrefix(s string) bool {
	if len(s) < 6 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}
