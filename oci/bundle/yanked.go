package bundle

import (
	"context"
	"fmt"
	"slices"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/oci/resolve"
	"github.com/mpak-oci/mpak/oci/yank"
)

// selectUnyanked selects among tags what r asks for. A version that r
// names exactly resolves even when yanked (reported for a warning: lock
// files and pinned deployments must keep working); for latest and ranges a
// yanked version is set aside and the selection runs again. With no yank
// records that is one referrers request on top of the tag listing.
func selectUnyanked(ctx context.Context, repo Resolver, r ref.Reference, tags []string) (Resolution, error) {
	var yanked []string
	for {
		tag, err := resolve.Select(tags, r.Version)
		if err != nil {
			if len(yanked) > 0 {
				return Resolution{}, &YankedError{Repository: r.WithVersion("").Display(), Query: r.Version, Yanked: yanked,
					Example: r.WithVersion(yanked[0]).Display(), Cause: err}
			}
			return Resolution{}, fmt.Errorf("%s: %w", r.RepositoryRef(), err)
		}
		root, err := repo.Resolve(ctx, tag)
		if err != nil {
			if ctx.Err() != nil {
				return Resolution{}, ctx.Err()
			}
			// Listed but not readable now: resolve as before yanks existed
			// and let the read that follows report the registry's error.
			return Resolution{Reference: tag, Name: r.WithVersion(resolve.VersionOf(tag)).Display()}, nil
		}
		if names(r.Version, tag) {
			return pinned(ctx, repo, r, tag, root)
		}
		st, err := yankState(ctx, repo, root)
		if err != nil {
			return Resolution{}, err
		}
		if !st.Yanked {
			return Resolution{Reference: tag, Root: root, Name: r.WithVersion(resolve.VersionOf(tag)).Display()}, nil
		}
		yanked = append(yanked, resolve.VersionOf(tag))
		tags = slices.DeleteFunc(tags, func(t string) bool { return t == tag })
	}
}

// names reports whether query pins tag exactly rather than choosing it by
// a rule: the tag itself, or a version ("1.2.0" for the tag "v1.2.0").
// latest is a rule even where a literal "latest" tag answers it.
func names(query, tag string) bool {
	if query == "" || query == resolve.Latest {
		return false
	}
	if query == tag || resolve.IsExact(query) {
		return true
	}
	t, err := resolve.TagFor(query)
	return err == nil && t == tag
}

// pinned is the resolution of a version named exactly: it stands, yanked
// or not, and a yank is reported.
func pinned(ctx context.Context, repo Resolver, r ref.Reference, tag string, root ocispec.Descriptor) (Resolution, error) {
	res := Resolution{Reference: tag, Root: root, Name: r.WithVersion(resolve.VersionOf(tag)).Display()}
	st, err := yankState(ctx, repo, root)
	if err != nil {
		return Resolution{}, err
	}
	if st.Yanked {
		res.Yanked = &st
	}
	return res, nil
}

// yankState reads whether root is yanked. A registry that fails the
// referrers request (a 5xx, a proxy that blocks the API) does not fail the
// resolution: the mark is advisory, and refusing to resolve would turn an
// outage of an optional feature into an outage of every install. The
// version then resolves exactly as it did before yanks existed, and nothing
// is printed, because nothing the user asked for went wrong. A yank that is
// read is always applied. Only a cancelled context is an error.
func yankState(ctx context.Context, repo Resolver, root ocispec.Descriptor) (yank.Status, error) {
	st, err := yank.Read(ctx, repo, root)
	if err != nil {
		if ctx.Err() != nil {
			return yank.Status{}, ctx.Err()
		}
		return yank.Status{}, nil
	}
	return st, nil
}

// maxOthers bounds the other versions a YankedError spells out.
const maxOthers = 10

// YankedError says that versions match the query but every one of them is
// yanked. It wraps the *resolve.NoMatchError of the selection without them.
type YankedError struct {
	// Repository is the bundle as the user knows it, e.g. @acme/weather.
	Repository string
	// Query is what was asked for; "" means latest.
	Query string
	// Yanked are the matching versions, highest first.
	Yanked []string
	// Example is the first of them pinned, e.g. @acme/weather@1.3.0.
	Example string
	Cause   error
}

func (e *YankedError) Error() string {
	query := e.Query
	if query == "" {
		query = resolve.Latest
	}
	msg := fmt.Sprintf("%s: every version matching %q is yanked (%s): pin one exactly to use it anyway, e.g. %s",
		e.Repository, query, strings.Join(e.Yanked, ", "), e.Example)
	if nm, ok := e.Cause.(*resolve.NoMatchError); ok && len(nm.Available) > 0 {
		others, more := nm.Available, ""
		if len(others) > maxOthers {
			others, more = others[:maxOthers], fmt.Sprintf(", … (%d more)", len(others)-maxOthers)
		}
		msg += fmt.Sprintf(", or ask for another version (available: %s%s)", strings.Join(others, ", "), more)
	}
	return msg
}

func (e *YankedError) Unwrap() error { return e.Cause }
