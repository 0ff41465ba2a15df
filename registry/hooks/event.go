package hooks

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	"oras.land/oras-go/v2/registry"
)

// event is what a delivery asks of mpakd, whatever its sender's format.
type event struct {
	// id identifies the event across re-sent deliveries; empty when the
	// sender gives none.
	id         string
	push       bool   // else a pull, or a delete
	delete     bool   // a manifest or tag deleted
	repository string // e.g. "acme/weather"
	ref        string // the tag pushed, the digest pulled, the tag or digest deleted
	// digest is the manifest a push was made with, when the sender says.
	digest string
	// manifest marks a pull that names a manifest (Harbor's), not a blob.
	manifest bool
	// userAgent is the pulling client's, when the sender reports it.
	userAgent string
	// at is when the sender says it happened (zero: it does not say).
	at time.Time
}

// result is the answer to a delivery that was processed.
type result struct {
	Pushed     int `json:"pushed"`
	Pulled     int `json:"pulled"`
	Deleted    int `json:"deleted,omitempty"`
	Duplicates int `json:"duplicates"`
	// Proxied are pulls mpakd's own proxy made, counted when they passed
	// through it.
	Proxied int `json:"proxied,omitempty"`
	failed  []string
}

// process acts on the events in order, so that a push is indexed before a
// later pull of it in the same delivery is counted. A failed push does not
// stop the rest. wait bounds waiting for another delivery of the same
// event (the sender's request); work is what the callbacks get, which
// outlives a sender that stopped waiting: the work is done once, and the
// re-sent delivery finds it done.
func (h *hooks) process(wait, work context.Context, sender string, events []event) result {
	var res result
	for _, e := range events {
		var c *claim
		if e.id != "" {
			var err error
			if c, err = h.seen.take(wait, e.id); err != nil {
				res.failed = append(res.failed, fmt.Sprintf("%s: still being processed by an earlier delivery", e.id))
				continue
			}
			if c == nil {
				res.Duplicates++
				continue
			}
		}
		err := h.act(work, sender, e, &res)
		if c != nil {
			h.seen.finish(c, err == nil)
		}
		if err != nil {
			sep := "@"
			if e.push {
				sep = ":"
			}
			res.failed = append(res.failed, fmt.Sprintf("%s%s%s: %v", e.repository, sep, e.ref, err))
		}
	}
	return res
}

// act calls the callback of one event and counts it in res; the error is
// one a retry can fix.
func (h *hooks) act(ctx context.Context, sender string, e event, res *result) error {
	switch {
	case e.delete:
		if h.opts.OnDelete != nil {
			if err := h.opts.OnDelete(ctx, e.repository, e.ref); err != nil {
				h.log.Error("hooks: following a delete failed; the sender will retry", "sender", sender, "repository", e.repository, "reference", e.ref, "err", err)
				return err
			}
		}
		res.Deleted++
	case !e.push:
		switch {
		case h.opts.ProxyUserAgent != "" && strings.Contains(e.userAgent, h.opts.ProxyUserAgent):
			res.Proxied++
			return nil
		case e.manifest && h.opts.OnManifestPull != nil:
			h.opts.OnManifestPull(ctx, e.repository, e.ref)
		case !e.manifest && h.opts.OnPull != nil:
			h.opts.OnPull(ctx, e.repository, e.ref)
		}
		res.Pulled++
	default:
		if h.opts.OnPush != nil {
			if err := h.opts.OnPush(ctx, e.repository, e.ref, e.digest); err != nil {
				h.log.Error("hooks: indexing a pushed tag failed; the sender will retry", "sender", sender, "repository", e.repository, "tag", e.ref, "err", err)
				return err
			}
		}
		if h.opts.Pushed != nil {
			h.opts.Pushed(sender, e.at)
		}
		res.Pushed++
	}
	return nil
}

// checkRepository, checkTag and checkDigest validate what a payload names
// before anything is called with it.
func checkRepository(name string) error {
	if err := (registry.Reference{Registry: "registry.invalid", Repository: name}).ValidateRepository(); err != nil {
		return fmt.Errorf("repository %q is not a valid OCI repository name", name)
	}
	return nil
}

func checkTag(tag string) error {
	if err := (registry.Reference{Reference: tag}).ValidateReferenceAsTag(); err != nil {
		return fmt.Errorf("tag %q is not a valid OCI tag", tag)
	}
	return nil
}

func checkDigest(d string) error {
	if _, err := digest.Parse(d); err != nil {
		return fmt.Errorf("digest %q is not a valid digest (algorithm:hex)", d)
	}
	return nil
}
