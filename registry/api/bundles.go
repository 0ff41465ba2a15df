package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/oci/claims"
	"github.com/mpak-oci/mpak/registry/catalog"
)

// latestQuery names a bundle's latest version in URLs.
const latestQuery = "latest"

// bundles dispatches /v1/bundles/<name>[/...].
func (a *api) bundles(w http.ResponseWriter, r *http.Request) error {
	rt := parseBundlePath(strings.TrimPrefix(r.URL.Path, "/v1/bundles/"))
	if rt.kind == "" {
		return notFound("no API endpoint at %s: after /v1/bundles/@scope/name come /versions, /versions/{version}, /versions/{version}/download or /badge.svg", r.URL.Path)
	}
	repository, err := a.names.resolve(rt.name)
	if err != nil {
		return err
	}
	switch rt.kind {
	case routeDetail:
		return a.bundleDetail(w, r, repository)
	case routeVersions:
		return a.versionList(w, r, repository)
	case routeVersion:
		return a.versionDetail(w, r, repository, rt.version)
	case routeDownload:
		return a.download(w, r, repository, rt.version)
	default:
		return a.badge(w, r, repository)
	}
}

func (a *api) bundleDetail(w http.ResponseWriter, r *http.Request, repository string) error {
	vs, err := a.versions(r.Context(), repository)
	if err != nil {
		return err
	}
	stats, err := a.stats(r.Context(), repository)
	if err != nil {
		return err
	}
	latest := latestOf(vs)
	writeJSON(w, http.StatusOK, &catalogapi.BundleDetail{
		VersionDetail:  a.detailOf(a.host(r), latest, stats),
		Latest:         latest.Version,
		Versions:       a.summaries(vs, stats),
		Downloads:      stats.Total,
		DownloadsDaily: dailySeries(stats.Daily, a.now()),
	})
	return nil
}

func (a *api) versionList(w http.ResponseWriter, r *http.Request, repository string) error {
	vs, err := a.versions(r.Context(), repository)
	if err != nil {
		return err
	}
	stats, err := a.stats(r.Context(), repository)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, &catalogapi.VersionsResponse{
		Name:     a.names.display(repository),
		Latest:   latestOf(vs).Version,
		Versions: a.summaries(vs, stats),
	})
	return nil
}

func (a *api) versionDetail(w http.ResponseWriter, r *http.Request, repository, version string) error {
	v, err := a.version(r.Context(), repository, version)
	if err != nil {
		return err
	}
	stats, err := a.stats(r.Context(), repository)
	if err != nil {
		return err
	}
	d := a.detailOf(a.host(r), v, stats)
	writeJSON(w, http.StatusOK, &d)
	return nil
}

// versions lists a repository's versions, highest first; a repository
// without any is unknown.
func (a *api) versions(ctx context.Context, repository string) ([]catalog.Version, error) {
	vs, err := a.store.Versions(ctx, repository)
	if errors.Is(err, catalog.ErrNotFound) || err == nil && len(vs) == 0 {
		return nil, a.bundleNotFound(repository)
	}
	return vs, err
}

// version finds one version, or the latest for "latest".
func (a *api) version(ctx context.Context, repository, version string) (*catalog.Version, error) {
	if version == latestQuery {
		vs, err := a.versions(ctx, repository)
		if err != nil {
			return nil, err
		}
		return latestOf(vs), nil
	}
	v, err := a.store.Version(ctx, repository, version)
	if !errors.Is(err, catalog.ErrNotFound) {
		return v, err
	}
	// Say what exists, so a typo is fixed in one more request.
	vs, err := a.versions(ctx, repository)
	if err != nil {
		return nil, err
	}
	have := make([]string, 0, 10)
	for i := 0; i < len(vs) && i < cap(have); i++ {
		have = append(have, vs[i].Version)
	}
	more := ""
	if len(vs) > len(have) {
		more = ", …"
	}
	return nil, notFound("%s has no version %q: ask for latest or one of %s%s",
		a.names.display(repository), version, strings.Join(have, ", "), more)
}

func (a *api) bundleNotFound(repository string) error {
	name := a.names.display(repository)
	query := name[strings.LastIndexByte(name, '/')+1:]
	return notFound("bundle %s not found: look for it with /v1/bundles/search?q=%s", name, query)
}

// stats reads a repository's downloads; one never downloaded has none.
func (a *api) stats(ctx context.Context, repository string) (*catalog.Stats, error) {
	s, err := a.store.Stats(ctx, repository)
	if errors.Is(err, catalog.ErrNotFound) {
		return &catalog.Stats{}, nil
	}
	return s, err
}

// latestOf is the version `mpak bundle pull @scope/name` installs, chosen
// as the stores choose Bundle.Latest: the highest release that is not
// yanked, else the highest prerelease that is not, and only when every
// version is yanked the highest release, else the highest prerelease. vs
// is highest first and not empty.
func latestOf(vs []catalog.Version) *catalog.Version {
	for _, yanked := range []bool{false, true} {
		for _, prerelease := range []bool{false, true} {
			for i := range vs {
				if vs[i].Yanked == yanked && vs[i].Prerelease == prerelease {
					return &vs[i]
				}
			}
		}
	}
	return &vs[0]
}

func (a *api) detailOf(host string, v *catalog.Version, stats *catalog.Stats) catalogapi.VersionDetail {
	d := catalogapi.VersionDetail{
		Name:            a.names.display(v.Repository),
		Repository:      v.Repository,
		Reference:       reference(host, v),
		Version:         v.Version,
		Digest:          v.Digest,
		Prerelease:      v.Prerelease,
		DisplayName:     v.DisplayName,
		Description:     v.Description,
		LongDescription: v.LongDescription,
		Keywords:        v.Keywords,
		Author:          v.Author,
		License:         v.License,
		Homepage:        v.Homepage,
		SourceURL:       v.SourceURL,
		ServerType:      v.ServerType,
		ManifestVersion: v.ManifestVersion,
		Tools:           make([]catalogapi.Tool, 0, len(v.Tools)),
		Prompts:         v.Prompts,
		UserConfigKeys:  v.UserConfigKeys,
		Builds:          make([]catalogapi.Build, 0, len(v.Builds)),
		Signed:          v.Signed,
		Level:           v.Level,
		LevelVerified:   v.LevelVerified,
		ClaimedLevel:    v.ClaimedLevel,
		Yanked:          v.Yanked,
		YankReason:      v.YankReason,
		Tampered:        v.Tampered,
		PublishedAt:     v.PublishedAt,
		Downloads:       stats.ByVersion[v.Version],
		DownloadsDaily:  dailySeries(stats.Of(func(d *catalog.Download) bool { return d.Version == v.Version }).Daily, a.now()),
	}
	for _, t := range v.Tools {
		d.Tools = append(d.Tools, catalogapi.Tool{Name: t.Name, Description: t.Description})
	}
	for _, b := range v.Builds {
		own := stats.Of(func(d *catalog.Download) bool { return d.Version == v.Version && d.Platform == b.Platform })
		d.Builds = append(d.Builds, catalogapi.Build{Platform: b.Platform, ManifestDigest: b.ManifestDigest,
			BundleDigest: b.LayerDigest, Size: b.Size, Downloads: own.Total, DownloadsDaily: dailySeries(own.Daily, a.now())})
	}
	if len(v.ScanReport) > 0 {
		d.Scan = v.ScanReport
	}
	if len(v.Provenance) > 0 {
		d.Provenance = new(claims.Claims)
		if err := json.Unmarshal(v.Provenance, d.Provenance); err != nil {
			a.log.Warn("stored provenance does not parse; run mpakd reindex", "repository", v.Repository, "version", v.Version, "err", err)
			d.Provenance = nil
		}
	}
	if len(v.Annotations) > 0 {
		d.Annotations = make(map[string]any, len(v.Annotations))
		for k, val := range v.Annotations {
			d.Annotations[k] = val
		}
	}
	if len(v.Manifest) > 0 {
		// The indexer only stores manifests it parsed, so a failure here
		// means a damaged row; the rest of the answer is still right.
		if err := json.Unmarshal(v.Manifest, &d.Manifest); err != nil {
			a.log.Warn("stored manifest.json does not parse; run mpakd reindex", "repository", v.Repository, "version", v.Version, "err", err)
			d.Manifest = nil
		}
	}
	return d
}

func (a *api) summaries(vs []catalog.Version, stats *catalog.Stats) []catalogapi.VersionSummary {
	out := make([]catalogapi.VersionSummary, 0, len(vs))
	for i := range vs {
		v := &vs[i]
		out = append(out, catalogapi.VersionSummary{
			Version:     v.Version,
			Digest:      v.Digest,
			Prerelease:  v.Prerelease,
			PublishedAt: v.PublishedAt,
			Downloads:   stats.ByVersion[v.Version],
			Platforms:   platforms(v),
			Yanked:      v.Yanked,
			YankReason:  v.YankReason,
			Tampered:    v.Tampered,
		})
	}
	return out
}

func platforms(v *catalog.Version) []string {
	out := make([]string, 0, len(v.Builds))
	for _, b := range v.Builds {
		out = append(out, b.Platform)
	}
	return out
}
