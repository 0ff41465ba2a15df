package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/hooks"
	"github.com/mpak-oci/mpak/registry/ingest"
	"github.com/mpak-oci/mpak/registry/proxy"
)

// hooks receives an upstream's push and pull events. A push is indexed (a
// failure a retry can fix is returned, so the sender retries); a blob pull
// is a download candidate for the counter, which ignores what is not a
// bundle layer. Harbor reports manifests pulled: a bundle build's platform
// manifest counts as a download of its layer, and an index does not (the
// platform manifest fetched after it is reported too). Pulls mpakd's proxy
// made are skipped where the sender reports the user agent (distribution):
// the proxy counted them.
func (s *Server) hooks(secret string) http.Handler {
	return hooks.New(hooks.Options{
		Secret: secret,
		Logger: s.log,
		OnPush: func(ctx context.Context, repository, tag, digest string) error {
			if subject, ok := SubjectTag(tag); ok {
				s.indexSubject(ctx, repository, subject)
				return nil
			}
			err := s.indexer.Pushed(ctx, repository, tag, digest)
			s.recordIndexed(repository, tag, err)
			var tampered *ingest.TamperedError
			if err == nil || errors.As(err, &tampered) || errors.Is(err, ingest.ErrNotBundle) || errors.Is(err, ingest.ErrUnpublishable) {
				return nil // a retry cannot change these
			}
			return err
		},
		OnDelete: func(ctx context.Context, repository, reference string) error {
			s.deleted(ctx, repository, reference)
			return nil
		},
		OnPull: func(ctx context.Context, repository, digest string) {
			if s.counter != nil {
				s.counter.Record(ctx, repository, digest)
			}
		},
		OnManifestPull: func(ctx context.Context, repository, digest string) {
			if s.counter == nil {
				return
			}
			build, err := s.store.Manifest(ctx, repository, digest)
			switch {
			case errors.Is(err, catalog.ErrNotFound):
				return // an index, or not a bundle
			case err != nil:
				s.log.Warn("a Harbor pull was not counted: looking up its manifest failed", "repository", repository, "digest", digest, "err", err)
				return
			}
			s.counter.Record(ctx, repository, build.LayerDigest)
		},
		ProxyUserAgent: proxy.UserAgentToken,
		Pushed: func(sender string, at time.Time) {
			if !at.IsZero() {
				s.metrics.indexLag.WithLabelValues(sender).Observe(max(time.Since(at), 0).Seconds())
			}
		},
	})
}
