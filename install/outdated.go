package install

import (
	"context"
	"errors"
	"fmt"

	"oras.land/oras-go/v2/registry"

	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/oci/resolve"
)

// Pinned is something installed or locked at a version, with the range it
// was asked for (empty: latest).
type Pinned struct {
	Key       string // what the user wrote, e.g. "@acme/weather@^1.2"
	Reference ref.Reference
	Current   string // the tag in use
	Source    string // "lock" or "cache"
}

// Status compares a pin with what the registry offers now, as `npm
// outdated` does: Wanted is the highest version the range allows, Latest
// the highest release.
type Status struct {
	Pinned
	Repository string `json:"repository"`
	Wanted     string `json:"wanted"`
	Latest     string `json:"latest"`
}

// Outdated returns the statuses of pins that have something newer.
func Outdated(ctx context.Context, o connect.Options, pins []Pinned) ([]Status, error) {
	tagsByRepo := map[string][]string{}
	var out []Status
	for _, p := range pins {
		repoName := p.Reference.RepositoryRef()
		tags, ok := tagsByRepo[repoName]
		if !ok {
			repo, err := o.Repository(p.Reference)
			if err != nil {
				return nil, err
			}
			if tags, err = registry.Tags(ctx, repo); err != nil {
				return nil, fmt.Errorf("listing versions of %s: %w", repoName, err)
			}
			tagsByRepo[repoName] = tags
		}
		s := Status{Pinned: p, Repository: repoName}
		var err error
		query := p.Reference.Version
		if p.Reference.Digest != "" && query == "" {
			query = resolve.Latest
		}
		if s.Wanted, err = resolve.Select(tags, query); err != nil && !isNoMatch(err) {
			return nil, err
		}
		if s.Latest, err = resolve.Select(tags, resolve.Latest); err != nil && !isNoMatch(err) {
			return nil, err
		}
		if Newer(s.Wanted, p.Current) || Newer(s.Latest, p.Current) {
			out = append(out, s)
		}
	}
	return out, nil
}

func isNoMatch(err error) bool {
	var nm *resolve.NoMatchError
	return errors.As(err, &nm)
}

// Newer reports whether tag a is a higher version than b.
func Newer(a, b string) bool {
	if a == "" || a == b {
		return false
	}
	v := resolve.Versions([]string{a, b})
	return len(v) > 0 && v[0] == a
}
