package yank

import (
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/mpak-oci/mpak/mediatypes"
)

// rec is a listed yank record.
func rec(name, yanked, created, reason string) ocispec.Descriptor {
	ann := map[string]string{mediatypes.AnnotationYanked: yanked, ocispec.AnnotationCreated: created}
	if reason != "" {
		ann[mediatypes.AnnotationYankReason] = reason
	}
	return ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, ArtifactType: mediatypes.Yank,
		Digest: digest.FromString(name), Annotations: ann}
}

func TestDecide(t *testing.T) {
	const t1, t2 = "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"
	other := ocispec.Descriptor{ArtifactType: mediatypes.Scan, Digest: digest.FromString("scan"),
		Annotations: map[string]string{mediatypes.AnnotationYanked: "true", ocispec.AnnotationCreated: t2}}
	untyped := rec("untyped", "true", t2, "listed without artifactType")
	untyped.ArtifactType = ""
	for _, tc := range []struct {
		name   string
		refs   []ocispec.Descriptor
		yanked bool
		record string // name of the deciding record, "" for none
	}{
		{"no records", nil, false, ""},
		{"one yank", []ocispec.Descriptor{rec("a", "true", t1, "bad")}, true, "a"},
		{"un-yank after yank", []ocispec.Descriptor{rec("a", "true", t1, "bad"), rec("b", "false", t2, "")}, false, "b"},
		{"newest wins whatever the order", []ocispec.Descriptor{rec("b", "true", t2, "bad again"), rec("a", "false", t1, "")}, true, "b"},
		{"tie goes to yanked", []ocispec.Descriptor{rec("a", "false", t1, ""), rec("b", "true", t1, "bad")}, true, "b"},
		{"tie goes to yanked, other order", []ocispec.Descriptor{rec("b", "true", t1, "bad"), rec("a", "false", t1, "")}, true, "b"},
		{"sub-second times order", []ocispec.Descriptor{rec("a", "true", "2026-01-01T00:00:00.5Z", "bad"), rec("b", "false", "2026-01-01T00:00:00.6Z", "")}, false, "b"},
		{"unparseable verdict ignored", []ocispec.Descriptor{rec("a", "false", t1, ""), rec("b", "yes", t2, "")}, false, "a"},
		{"unparseable time ignored", []ocispec.Descriptor{rec("a", "false", t1, ""), rec("b", "true", "yesterday", "")}, false, "a"},
		{"missing annotations ignored", []ocispec.Descriptor{{ArtifactType: mediatypes.Yank, Digest: digest.FromString("x")}}, false, ""},
		{"other artifact types ignored", []ocispec.Descriptor{rec("a", "false", t1, ""), other}, false, "a"},
		{"our annotation identifies an untyped record", []ocispec.Descriptor{rec("a", "false", t1, ""), untyped}, true, "untyped"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Decide(tc.refs)
			if got.Yanked != tc.yanked {
				t.Errorf("Yanked = %v, want %v (%+v)", got.Yanked, tc.yanked, got)
			}
			want := digest.Digest("")
			if tc.record != "" {
				want = digest.FromString(tc.record)
			}
			if got.Record != want {
				t.Errorf("decided by %s, want %s (%s)", got.Record, want, tc.record)
			}
			if tc.record == "" && !got.Time.IsZero() {
				t.Errorf("no record decided, but Time = %v", got.Time)
			}
		})
	}
	got := Decide([]ocispec.Descriptor{rec("a", "true", t1, "bad \u001b[31mred")})
	if got.Reason != "bad  [31mred" || !got.Time.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Reason %q Time %v: control characters must not reach the terminal", got.Reason, got.Time)
	}
	if w := got.Warning("@acme/weather@1.2.0"); w != "@acme/weather@1.2.0 is yanked: bad  [31mred" {
		t.Errorf("Warning = %q", w)
	}
}
