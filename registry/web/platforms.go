package web

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// platformCache is, for the catalog generation it was read at, the
// platforms each repository's latest version is built for: what the
// search page's OS and architecture filters offer. Reading every latest
// version for each search page would cost as much as the search; the
// generation changes with every version written, so it is read again
// only then.
type platformCache struct {
	mu     sync.Mutex
	gen    int64
	loaded bool
	byRepo map[string][]string
}

// platforms returns the operating systems and architectures of the
// builds of the latest versions the reader may see, sorted, without
// "any" (a build for any platform matches every filter).
func (u *ui) platforms(ctx context.Context, readable func(string) bool) (oses, arches []string, err error) {
	byRepo, err := u.platformCache.get(ctx, u.opts.Store)
	if err != nil {
		return nil, nil, err
	}
	os, arch := map[string]bool{}, map[string]bool{}
	for repo, ps := range byRepo {
		if readable != nil && !readable(repo) {
			continue
		}
		for _, p := range ps {
			o, a, _ := strings.Cut(p, "/")
			if o != "" && o != "any" {
				os[o] = true
			}
			if a != "" && a != "any" {
				arch[a] = true
			}
		}
	}
	return sortedKeys(os), sortedKeys(arch), nil
}

func (c *platformCache) get(ctx context.Context, st catalog.Store) (map[string][]string, error) {
	gen, err := st.Generation(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loaded && c.gen == gen {
		return c.byRepo, nil
	}
	byRepo := map[string][]string{}
	after := ""
	for {
		vs, err := st.List(ctx, after, time.Time{}, true, catalog.MaxLimit)
		if err != nil {
			return nil, err
		}
		for i := range vs {
			for _, b := range vs[i].Builds {
				byRepo[vs[i].Repository] = append(byRepo[vs[i].Repository], b.Platform)
			}
		}
		if len(vs) < catalog.MaxLimit {
			break
		}
		after = catalog.Cursor(&vs[len(vs)-1])
	}
	c.gen, c.loaded, c.byRepo = gen, true, byRepo
	return byRepo, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// choices is a filter's options: the catalog's values, plus the value a
// URL asked for when the catalog has no such build, so the form still
// shows what the results were filtered by.
func choices(values []string, selected string) []string {
	if selected == "" {
		return values
	}
	for _, v := range values {
		if v == selected {
			return values
		}
	}
	return append(append([]string(nil), values...), selected)
}
