package stats

import "context"

// Record counts one download of the blob digest from repository, if the
// Store knows it as a bundle layer (other blobs are ignored). It appends
// one line to the log and returns; from then on the download survives the
// death of the process. It never fails: a download that cannot be logged is
// reported in the log output. Middleware calls it; call it directly only
// for downloads that did not pass through Middleware.
func (c *Counter) Record(ctx context.Context, repository, digest string) {
	rec := record{Day: c.now().UTC().Format(dayLayout), Repository: repository}
	switch ref, ok := c.layers.quick(ctx, repository, digest); {
	case !ok:
		rec.Digest = digest // the flush resolves it
	case ref == nil:
		return // not a bundle layer
	default:
		rec.Version, rec.Platform = ref.Version, ref.Platform
		if ref.Repository != "" {
			rec.Repository = ref.Repository
		}
	}
	// Counted before the write, so that a flush sealing the line at once
	// never takes Pending below zero.
	c.pending.Add(1)
	if err := c.wal.append(rec.encode()); err != nil {
		c.pending.Add(-1)
		c.drop(repository, digest, err)
	}
}

// Invalidate forgets what Counter cached about a repository's layers. Call
// it after indexing a version by a path that bypasses Middleware (reindex,
// upstream events), so that its downloads count at once rather than after
// the few seconds a cached "not a bundle layer" lives.
func (c *Counter) Invalidate(repository string) { c.layers.forget(repository) }
