package yank

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/referrer"
)

// MaxReason is the longest reason accepted, in characters: enough to say
// what is wrong and what to use instead, short enough for an annotation
// that every listing of the version's referrers carries.
const MaxReason = 500

// Options tune Mark. The zero value is ready to use.
type Options struct {
	// Now is the clock (default time.Now), for tests.
	Now func() time.Time
	// Attach tunes the push of the record; its Created is set by Mark.
	Attach referrer.Options
}

// record is the layer of a yank record. The annotations are what readers
// use; the blob keeps the reason unescaped for people and tools that
// fetch it.
type record struct {
	Yanked bool   `json:"yanked"`
	Reason string `json:"reason"`
	Time   string `json:"time"`
}

// Mark attaches a record to subject, a version's root (its image index, or
// its manifest when the version is one manifest): yanked, or un-yanked when
// yanked is false. A yank needs a reason; an un-yank may give one. It
// returns the record's descriptor once the subject's referrers list it.
func Mark(ctx context.Context, repo referrer.Target, subject ocispec.Descriptor, yanked bool, reason string, opts Options) (ocispec.Descriptor, error) {
	verb := "yanking"
	if !yanked {
		verb = "un-yanking"
	}
	if err := subject.Digest.Validate(); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("%s: no version digest to attach the record to: %w", verb, err)
	}
	reason, err := cleanReason(reason)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("%s %s: %w", verb, subject.Digest, err)
	}
	if yanked && reason == "" {
		return ocispec.Descriptor{}, fmt.Errorf("yanking %s: give a reason (what is wrong with it, what to use instead); users see it when they pin the version", subject.Digest)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	// The record must be the newest one, or it would not decide: a clock
	// behind the last writer's (another machine, a yank then an undo in the
	// same instant) is moved just past it.
	cur, err := Read(ctx, repo, subject)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("%s: %w", verb, err)
	}
	now := opts.Now().UTC()
	if cur.Record != "" && !now.After(cur.Time) {
		now = cur.Time.Add(time.Millisecond)
	}
	stamp := now.Format(time.RFC3339Nano)

	body, err := json.Marshal(record{Yanked: yanked, Reason: reason, Time: stamp})
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	ann := map[string]string{
		mediatypes.AnnotationYanked: fmt.Sprint(yanked),
		// Sub-second precision orders a yank and an undo run back to back.
		ocispec.AnnotationCreated: stamp,
	}
	if reason != "" {
		ann[mediatypes.AnnotationYankReason] = mediatypes.EscapeASCII(reason)
	}
	attach := opts.Attach
	attach.Created = now
	desc, err := referrer.Attach(ctx, repo, subject, referrer.Artifact{
		ArtifactType: mediatypes.Yank,
		Blobs:        []referrer.Blob{{MediaType: mediatypes.Yank, Data: body}},
		Annotations:  ann,
	}, attach)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("%s: %w (the registry must accept manifests with a subject, or the sha256-<hex> fallback tag; check push access)", verb, err)
	}
	return desc, nil
}

// cleanReason folds whitespace (newlines included) to single spaces and
// refuses what cannot be shown on one line of a terminal.
func cleanReason(s string) (string, error) {
	s = strings.Join(strings.Fields(s), " ")
	if n := utf8.RuneCountInString(s); n > MaxReason {
		return "", fmt.Errorf("the reason has %d characters, more than %d: shorten it (link to an advisory for details)", n, MaxReason)
	}
	if !utf8.ValidString(s) {
		return "", errors.New("the reason is not valid UTF-8: write it as text")
	}
	if i := strings.IndexFunc(s, unicode.IsControl); i >= 0 {
		return "", fmt.Errorf("the reason contains the control character %q: write it as plain text", []rune(s[i:])[0])
	}
	return s, nil
}
