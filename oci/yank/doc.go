// Package yank marks published versions as yanked, and reads the mark back.
//
// Versions are immutable and never deleted. A yanked version stays
// pullable by exact version or digest (lock files and pinned deployments
// keep working) but "latest" and semver ranges skip it, as with `cargo
// yank`. The mark lives in the registry, not in mpakd, so it works on any
// OCI registry and travels with the version when it is copied: it is an OCI
// referrer of the version's root (index or single manifest), artifactType
// application/vnd.mpak.yank.v1+json.
//
// Records are only ever added: an un-yank is one more record saying
// "false". Annotations on each record carry the verdict, its reason and its
// time, so readers decide from the referrers listing alone, one request per
// version. The newest record wins; on a tie the yanked one does, because
// wrongly skipping a version costs less than wrongly installing one.
package yank
