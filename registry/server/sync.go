package server

import (
	"context"
	"time"
)

// syncEvery runs SyncPrefixes every interval until ctx ends. A failed
// round is logged and the next one tries again.
func (s *Server) syncEvery(ctx context.Context, prefixes []string, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		reports, err := s.SyncPrefixes(ctx, prefixes)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			s.log.Warn("periodic sync failed; retrying at the next interval", "prefixes", prefixes, "err", err)
		default:
			s.log.Debug("periodic sync", "prefixes", prefixes, "repositories", len(reports))
		}
		for _, rep := range reports {
			for _, k := range rep.Skipped {
				if !k.NotBundle {
					s.log.Warn("sync: a bundle that cannot be a version where it is", "repository", rep.Repository, "tag", k.Tag, "reason", k.Reason)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
