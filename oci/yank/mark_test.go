package yank_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/yank"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

// registries: distribution/v3 keeps referrers in the sha256-<hex> fallback
// tag, go-containerregistry's registry serves the referrers API.
var registries = []struct {
	name  string
	start func(t testing.TB) string
}{
	{"fallback-tag", registrytest.Distribution},
	{"referrers-api", func(t testing.TB) string { return registrytest.GGCR(t, true) }},
}

var ctx = context.Background()

// client is a fresh repository client, as another process would have.
func client(t *testing.T, host string) *remote.Repository {
	t.Helper()
	repo, err := remote.NewRepository(host + "/acme/weather")
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	return repo
}

// version pushes a small manifest to stand for a version's root.
func version(t *testing.T, repo *remote.Repository) ocispec.Descriptor {
	t.Helper()
	m, _ := json.Marshal(ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		Config: ocispec.DescriptorEmptyJSON, Layers: []ocispec.Descriptor{ocispec.DescriptorEmptyJSON}, Annotations: map[string]string{"v": t.Name()}})
	if err := repo.Push(ctx, ocispec.DescriptorEmptyJSON, bytes.NewReader(ocispec.DescriptorEmptyJSON.Data)); err != nil {
		t.Fatal(err)
	}
	desc := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, m)
	if err := repo.Push(ctx, desc, bytes.NewReader(m)); err != nil {
		t.Fatal(err)
	}
	return desc
}

func clock(t time.Time) yank.Options { return yank.Options{Now: func() time.Time { return t }} }

func TestMarkAndRead(t *testing.T) {
	for _, r := range registries {
		t.Run(r.name, func(t *testing.T) {
			host := r.start(t)
			repo := client(t, host)
			root := version(t, repo)
			if st, err := yank.Read(ctx, repo, root); err != nil || st != (yank.Status{}) {
				t.Fatalf("a version without records: %+v, %v; want not yanked", st, err)
			}

			t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			rec, err := yank.Mark(ctx, repo, root, true, "  leaks the key\nuse 1.2.1 — café ", clock(t0))
			if err != nil {
				t.Fatal(err)
			}
			st, err := yank.Read(ctx, client(t, host), root)
			if err != nil {
				t.Fatal(err)
			}
			want := yank.Status{Yanked: true, Reason: `leaks the key use 1.2.1 \u2014 caf\u00e9`, Time: t0, Record: rec.Digest}
			if st != want {
				t.Fatalf("after a yank: %+v, want %+v", st, want)
			}
			checkRecord(t, repo, rec, true, "leaks the key use 1.2.1 — café", t0)

			// Un-yank from a machine whose clock is an hour behind: the
			// record written last still decides.
			undo, err := yank.Mark(ctx, repo, root, false, "", clock(t0.Add(-time.Hour)))
			if err != nil {
				t.Fatal(err)
			}
			st, err = yank.Read(ctx, client(t, host), root)
			if err != nil {
				t.Fatal(err)
			}
			if st.Yanked || st.Record != undo.Digest || !st.Time.After(t0) {
				t.Fatalf("after --undo: %+v, want not yanked, decided by %s after %v", st, undo.Digest, t0)
			}
			if _, ok := undo.Annotations[mediatypes.AnnotationYankReason]; ok {
				t.Errorf("an un-yank without a reason has a reason annotation: %v", undo.Annotations)
			}

			// Yanked again, later: the newest record wins again.
			again, err := yank.Mark(ctx, repo, root, true, "still bad", clock(t0.Add(time.Hour)))
			if err != nil {
				t.Fatal(err)
			}
			if st, _ := yank.Read(ctx, client(t, host), root); !st.Yanked || st.Record != again.Digest || st.Reason != "still bad" {
				t.Fatalf("after a second yank: %+v", st)
			}
		})
	}
}

// checkRecord reads a record as other tools would: its manifest and blob.
func checkRecord(t *testing.T, repo *remote.Repository, d ocispec.Descriptor, yanked bool, reason string, at time.Time) {
	t.Helper()
	b, err := content.FetchAll(ctx, repo, d)
	if err != nil {
		t.Fatal(err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.ArtifactType != mediatypes.Yank || len(m.Layers) != 1 || m.Layers[0].MediaType != mediatypes.Yank || m.Subject == nil {
		t.Fatalf("record manifest %s", b)
	}
	for k, v := range m.Annotations {
		for _, c := range v {
			if c > 0x7e {
				t.Errorf("annotation %s is not ASCII: %q", k, v)
				break
			}
		}
	}
	if m.Annotations[ocispec.AnnotationCreated] != at.Format(time.RFC3339Nano) {
		t.Errorf("created = %q, want %v", m.Annotations[ocispec.AnnotationCreated], at)
	}
	blob, err := content.FetchAll(ctx, repo, m.Layers[0])
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Yanked bool   `json:"yanked"`
		Reason string `json:"reason"`
		Time   string `json:"time"`
	}
	if err := json.Unmarshal(blob, &body); err != nil {
		t.Fatal(err)
	}
	if body.Yanked != yanked || body.Reason != reason || body.Time != at.Format(time.RFC3339Nano) {
		t.Errorf("record body %s, want yanked=%v reason %q time %v", blob, yanked, reason, at)
	}
}

func TestMarkRefuses(t *testing.T) {
	host := registrytest.Distribution(t)
	repo := client(t, host)
	root := version(t, repo)
	for _, c := range []struct {
		name, reason, want string
	}{
		{"no reason", "  ", "give a reason"},
		{"too long", strings.Repeat("é", yank.MaxReason+1), "more than 500"},
		{"control character", "bad\x1b[2J", "control character"},
	} {
		if _, err := yank.Mark(ctx, repo, root, true, c.reason, yank.Options{}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", c.name, err, c.want)
		}
	}
	if _, err := yank.Mark(ctx, repo, root, true, strings.Repeat("é", yank.MaxReason), yank.Options{}); err != nil {
		t.Errorf("a reason of exactly %d characters: %v", yank.MaxReason, err)
	}
}

// stripping lists referrers without their annotations, as a registry that
// does not keep them would.
type stripping struct{ *remote.Repository }

func (s stripping) Referrers(ctx context.Context, desc ocispec.Descriptor, artifactType string, fn func([]ocispec.Descriptor) error) error {
	return s.Repository.Referrers(ctx, desc, artifactType, func(refs []ocispec.Descriptor) error {
		for i := range refs {
			refs[i].Annotations = nil
		}
		return fn(refs)
	})
}

// TestReadWithoutListedAnnotations: a yank is found even where the listing
// lacks annotations, by reading the record itself.
func TestReadWithoutListedAnnotations(t *testing.T) {
	host := registrytest.Distribution(t)
	repo := client(t, host)
	root := version(t, repo)
	rec, err := yank.Mark(ctx, repo, root, true, "bad", yank.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := yank.Read(ctx, stripping{client(t, host)}, root)
	if err != nil || !st.Yanked || st.Record != rec.Digest {
		t.Fatalf("read through a listing without annotations: %+v, %v; want yanked by %s", st, err, rec.Digest)
	}
}
