package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/mpak-oci/mpak/registry/hooks"
	"github.com/mpak-oci/mpak/registry/indexer"
)

// hooks receives an upstream's push and pull events. A push is indexed (a
// failure a retry can fix is returned, so the sender retries); a blob pull
// is a download candidate for the counter, which ignores what is not a
// bundle layer. Harbor reports pulls by manifest digest, which the counter
// does not map to layers yet, so Harbor pulls are only counted when they
// go through mpakd.
func (s *Server) hooks(secret string) http.Handler {
	return hooks.New(hooks.Options{
		Secret: secret,
		Logger: s.log,
		OnPush: func(ctx context.Context, repository, tag string) error {
			err := s.indexer.Tag(ctx, repository, tag)
			switch {
			case errors.Is(err, indexer.ErrNotBundle):
				s.metrics.indexed.WithLabelValues("skipped").Inc()
				return nil
			case err != nil:
				s.metrics.indexed.WithLabelValues("error").Inc()
				return err
			}
			s.metrics.indexed.WithLabelValues("indexed").Inc()
			if s.counter != nil {
				s.counter.Invalidate(repository)
			}
			return nil
		},
		OnPull: func(ctx context.Context, repository, digest string) {
			if s.counter != nil {
				s.counter.Record(ctx, repository, digest)
			}
		},
	})
}
