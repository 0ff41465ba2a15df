package stats

import "context"

// Record counts one download of the blob digest from repository, if the
// Store knows it as a bundle layer (other blobs are ignored). It appends
// one line to the log and returns; from then on the download survives the
// death of the process. It never fails: a download that cannot be logged is
// reported in the log output. Middleware calls it; call it directly only
// for downloads that did not pass through Middleware. Options.MaxPerClient
// does not apply: Record knows no client.
func (c *Counter) Record(ctx context.Context, repository, digest string) {
	c.record(ctx, "", repository, digest)
}

// record is Record for a download by client, which Options.MaxPerClient
// limits ("" for none).
func (c *Counter) record(ctx context.Context, client, repository, digest string) {
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
	// Limited after resolving, so that configs and other blobs do not use
	// up a client's allowance, and by version as the limit is stated: the
	// platforms of a version share one allowance.
	if client != "" && c.limit != nil {
		version := rec.Version
		if version == "" {
			version = "@" + digest
		}
		if !c.limit.allow(limitKey{client, rec.Repository, version}) {
			return
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
