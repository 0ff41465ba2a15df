package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"oras.land/oras-go/v2/errdef"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// ErrTagPending is matched when a registry announced a tagged push whose
// tag does not resolve yet. Retrying fixes it.
var ErrTagPending = errors.New("the announced tag does not resolve yet")

// PendingFor is how long after mpakd first heard of a push its tag may
// stay unresolvable before the push is taken as undone (the tag deleted
// since): long enough for a registry to write the tag it announced, short
// enough that a sender retrying a push whose tag is gone does not hold its
// later events for long.
const PendingFor = 30 * time.Second

// Pushed indexes a tag that a registry announced as pushed with digest
// (empty when the sender does not say). Distribution announces a tagged
// push before it writes the tag: its manifest handler tags after the
// manifest put that sends the notification, so a fast receiver can find
// the tag missing. Indexing then would find nothing and lose the push;
// instead such a push is ErrTagPending, for the sender to retry, for up
// to PendingFor.
func (ix *Indexer) Pushed(ctx context.Context, repository, tag, digest string) error {
	unlock, err := ix.Store.Lock(ctx, catalog.VersionLockKey(repository, tag))
	if err != nil {
		return err
	}
	defer unlock()
	if digest != "" {
		if err := ix.checkAnnounced(ctx, repository, tag, digest); err != nil {
			return err
		}
	}
	return ix.TagHeld(ctx, repository, tag)
}

// checkAnnounced returns ErrTagPending while the announced tag does not
// resolve and the push is younger than PendingFor.
func (ix *Indexer) checkAnnounced(ctx context.Context, repository, tag, digest string) error {
	repo, err := ix.Repos.Repository(ctx, repository)
	if err != nil {
		return err
	}
	key := repository + ":" + tag + "@" + digest
	_, err = repo.Resolve(ctx, tag)
	switch {
	case err == nil:
		ix.pending.forget(key)
		return nil
	case !errors.Is(err, errdef.ErrNotFound):
		return err
	}
	now := ix.now()
	if waited := now.Sub(ix.pending.since(key, now)); waited < PendingFor {
		return fmt.Errorf("%s:%s, announced as pushed with %s, is not tagged yet (%s so far): %w", repository, tag, digest, waited.Round(time.Millisecond), ErrTagPending)
	}
	ix.pending.forget(key)
	ix.log().Warn("an announced push was never tagged within the wait; taken as undone", "repository", repository, "tag", tag, "digest", digest, "waited", PendingFor)
	return nil
}

// pendingPushes remembers when each announced-but-untagged push was first
// seen. It is per process: a retry reaching another replica starts that
// replica's own wait.
type pendingPushes struct {
	mu    sync.Mutex
	first map[string]time.Time
}

// maxPending bounds the remembered pushes; expired ones are dropped first.
const maxPending = 4096

func (p *pendingPushes) since(key string, now time.Time) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t, ok := p.first[key]; ok {
		return t
	}
	if p.first == nil {
		p.first = map[string]time.Time{}
	}
	if len(p.first) >= maxPending {
		for k, t := range p.first {
			if now.Sub(t) >= PendingFor || len(p.first) >= maxPending {
				delete(p.first, k)
			}
		}
	}
	p.first[key] = now
	return now
}

func (p *pendingPushes) forget(key string) {
	p.mu.Lock()
	delete(p.first, key)
	p.mu.Unlock()
}
