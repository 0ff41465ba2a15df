// Package hooks receives an upstream registry's event notifications, so that
// mpakd in upstream mode indexes what is pushed there and counts downloads
// that never pass through it.
//
// Two senders are understood:
//
//   - POST /hooks/distribution: distribution (CNCF Distribution, the
//     registry behind Docker Hub, GitLab, GHCR-compatible setups) notification
//     envelopes, {"events":[…]}, configured under `notifications: endpoints:`.
//   - POST /hooks/harbor: Harbor webhook payloads, in Harbor's default format
//     or its CloudEvents format.
//
// Every request must carry the shared secret, as "Authorization: Bearer
// <secret>" (what a distribution endpoint's `headers:` sends) or
// "Authorization: <secret>" (Harbor's "Auth Header" field). A payload is
// validated whole before anything is acted on: a malformed or misdirected
// delivery is refused with 400 and indexes and counts nothing.
//
// # Retries
//
// Both senders re-send a delivery that was not answered 2xx: distribution
// holds every later event of that endpoint until it succeeds, Harbor retries
// the job. A push whose OnPush fails is therefore answered 500 after the
// rest of the delivery was processed, so that the retry indexes it once the
// cause is fixed. To keep the retry from counting its pulls again, events
// are remembered by their id (distribution's event id, a CloudEvent's id)
// and an event seen before is skipped. A delivery's work outlives a sender
// that stops waiting (distribution re-sends after its endpoint timeout);
// the re-sent delivery waits for an event the first is still processing,
// and is answered 200 only once it is done. Harbor's default payload has no id,
// but it also carries one event type only, so a failed push never shares a
// delivery with a pull.
package hooks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"
)

// maxBody bounds a delivery. Distribution batches a few events per
// envelope and Harbor sends one, each well under a kilobyte.
const maxBody = 1 << 20

// workTimeout bounds a delivery's work once its sender stopped waiting
// (distribution's endpoint timeout is often 1-2 s, shorter than indexing a
// version on a busy upstream).
const workTimeout = 2 * time.Minute

// Options configures the hooks.
type Options struct {
	// Secret is the shared secret senders present. Required: without it
	// every delivery is refused.
	Secret string
	// OnPush is called for a manifest pushed under a tag, with the digest
	// the sender says it was pushed with (empty when it does not say);
	// mpakd indexes the tag. Return an error only when retrying can succeed (the store or the
	// upstream is unreachable): the delivery is answered 500 and re-sent,
	// and distribution holds the endpoint's later events, pulls included,
	// until it goes through. What a retry cannot fix (not a bundle, an
	// invalid manifest.json) should be logged and return nil.
	OnPush func(ctx context.Context, repository, tag, digest string) error
	// OnDelete is called for a manifest or tag the registry deleted
	// (reference is the tag, or the digest); mpakd drops the versions the
	// registry no longer holds. Errors are retried as OnPush's are.
	OnDelete func(ctx context.Context, repository, reference string) error
	// OnPull is called for a download candidate: the digest of a blob a
	// client GOT from distribution. Deciding whether that digest is a
	// bundle layer is up to the callee.
	OnPull func(ctx context.Context, repository, digest string)
	// OnManifestPull is called for each manifest Harbor reports pulled.
	// Harbor reports every manifest GET, so a pull by tag of an index is
	// two events, the index's and the chosen platform manifest's; the
	// callee should count platform manifests only.
	OnManifestPull func(ctx context.Context, repository, digest string)
	// ProxyUserAgent marks mpakd's own proxy in the User-Agent it sends
	// upstream: pull events carrying it were counted when they passed
	// through the proxy and are skipped. Distribution reports the user
	// agent; Harbor does not (see the README).
	ProxyUserAgent string
	// Pushed is told of each push OnPush accepted, with the time the sender
	// gives for it (zero when it gives none), for an index lag metric.
	Pushed func(sender string, at time.Time)
	// Logger receives what was refused and why; default slog.Default().
	Logger *slog.Logger
}

// New returns the handler of POST /hooks/distribution and POST
// /hooks/harbor. Mount it at /hooks/.
func New(opts Options) http.Handler {
	h := &hooks{opts: opts, log: opts.Logger, seen: newSeenSet(seenCapacity)}
	if h.log == nil {
		h.log = slog.Default()
	}
	mux := http.NewServeMux()
	mux.Handle("POST /hooks/distribution", h.endpoint("distribution", parseDistribution))
	mux.Handle("POST /hooks/harbor", h.endpoint("harbor", parseHarbor))
	return mux
}

type hooks struct {
	opts Options
	log  *slog.Logger
	seen *seenSet
}

// endpoint authenticates, reads and parses a delivery, then acts on it.
func (h *hooks) endpoint(sender string, parse func([]byte) ([]event, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.opts.Secret == "" {
			h.log.Error("hooks: a delivery was refused because no secret is configured", "sender", sender)
			writeError(w, http.StatusServiceUnavailable, "UNAVAILABLE", "webhooks are disabled: mpakd has no webhook secret configured; set one and configure the registry to send it")
			return
		}
		if !authorized(r.Header.Get("Authorization"), h.opts.Secret) {
			h.log.Warn("hooks: refused a delivery with a missing or wrong secret", "sender", sender, "remote", r.RemoteAddr)
			writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", `missing or wrong webhook secret: send "Authorization: Bearer <secret>" with the secret mpakd was configured with`)
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "" && !isJSON(ct) {
			writeError(w, http.StatusUnsupportedMediaType, "UNSUPPORTED", fmt.Sprintf("Content-Type %q: send the payload as JSON (application/json)", ct))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			writeError(w, http.StatusRequestEntityTooLarge, "TOO_LARGE", fmt.Sprintf("payload exceeds %d bytes: configure the sender to batch fewer events", maxBody))
			return
		case err != nil:
			writeError(w, http.StatusBadRequest, "BAD_REQUEST", "reading the payload: "+err.Error())
			return
		}
		events, err := parse(body)
		if err != nil {
			h.log.Warn("hooks: refused a malformed delivery", "sender", sender, "err", err)
			writeError(w, http.StatusBadRequest, "BAD_REQUEST", err.Error())
			return
		}
		work, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), workTimeout)
		defer cancel()
		res := h.process(r.Context(), work, sender, events)
		if len(res.failed) > 0 {
			writeError(w, http.StatusInternalServerError, "INTERNAL", fmt.Sprintf("%d of %d pushes and deletes could not be followed (%s); the sender will retry the delivery",
				len(res.failed), res.Pushed+res.Deleted+len(res.failed), strings.Join(res.failed, "; ")))
			return
		}
		writeJSON(w, http.StatusOK, res)
	})
}

// isJSON accepts application/json and structured-syntax JSON types such as
// application/vnd.docker.distribution.events.v2+json and
// application/cloudevents+json.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}
