package hooks

import (
	"errors"
	"fmt"
	"strings"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// distributionEnvelope is the part of a distribution notification that
// mpakd reads; see distribution's notifications.Envelope.
type distributionEnvelope struct {
	Events *[]distributionEvent `json:"events"`
}

type distributionEvent struct {
	ID        string    `json:"id"`
	Timestamp time.Time `json:"timestamp"`
	Action    string    `json:"action"` // push, pull, mount, delete
	Target    struct {
		MediaType  string `json:"mediaType"`
		Digest     string `json:"digest"`
		Repository string `json:"repository"`
		Tag        string `json:"tag"`
	} `json:"target"`
	Request struct {
		Method    string `json:"method"`
		UserAgent string `json:"useragent"`
	} `json:"request"`
}

// Manifest media types a push event can carry. Blob events carry
// application/octet-stream: distribution does not know what a blob holds.
var manifestTypes = map[string]bool{
	ocispec.MediaTypeImageManifest:                              true,
	ocispec.MediaTypeImageIndex:                                 true,
	"application/vnd.docker.distribution.manifest.v2+json":      true,
	"application/vnd.docker.distribution.manifest.list.v2+json": true,
}

// parseDistribution turns an envelope into events: a tagged manifest push
// is a push; a blob GET is a pull; a manifest or tag delete is a delete.
// Blob pushes, manifest pulls, HEADs (which distribution reports as pulls
// too), mounts and blob deletes are none.
func parseDistribution(body []byte) ([]event, error) {
	var env distributionEnvelope
	if err := decode(body, &env); err != nil {
		return nil, err
	}
	if env.Events == nil {
		return nil, errors.New(`payload has no "events" array: /hooks/distribution takes distribution notification envelopes; Harbor sends to /hooks/harbor`)
	}
	var out []event
	for i, e := range *env.Events {
		ev, ok, err := distributionAction(e)
		if err != nil {
			return nil, fmt.Errorf("event %d (id %q): %w", i, e.ID, err)
		}
		if ok {
			out = append(out, ev)
		}
	}
	return out, nil
}

func distributionAction(e distributionEvent) (event, bool, error) {
	isManifest := manifestTypes[e.Target.MediaType]
	var ev event
	switch {
	case e.Action == "":
		return ev, false, errors.New(`no "action"`)
	case e.Action == "push" && isManifest && e.Target.Tag != "":
		ev = event{id: e.ID, push: true, repository: e.Target.Repository, ref: e.Target.Tag, digest: e.Target.Digest, at: e.Timestamp}
		if err := checkTag(e.Target.Tag); err != nil {
			return ev, false, err
		}
		if e.Target.Digest != "" {
			if err := checkDigest(e.Target.Digest); err != nil {
				return ev, false, err
			}
		}
	case e.Action == "delete" && (e.Target.Tag != "" || isManifest || e.Target.MediaType == ""):
		// distribution reports a tag delete with the tag, a manifest delete
		// with its digest (and, in some versions, no media type); a blob
		// delete carries application/octet-stream.
		ref := e.Target.Tag
		if ref == "" {
			ref = e.Target.Digest
			if err := checkDigest(ref); err != nil {
				return ev, false, err
			}
		} else if err := checkTag(ref); err != nil {
			return ev, false, err
		}
		ev = event{id: e.ID, delete: true, repository: e.Target.Repository, ref: ref, at: e.Timestamp}
	case e.Action == "pull" && strings.EqualFold(e.Request.Method, "GET") && !isManifest:
		// A GET that is not a manifest's is a blob's. Range continuations
		// are reported like full downloads: the events cannot tell them
		// apart.
		ev = event{id: e.ID, repository: e.Target.Repository, ref: e.Target.Digest, userAgent: e.Request.UserAgent}
		if err := checkDigest(e.Target.Digest); err != nil {
			return ev, false, err
		}
	default:
		return ev, false, nil
	}
	if err := checkRepository(ev.repository); err != nil {
		return ev, false, err
	}
	return ev, true, nil
}
