package bundle_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/bundle/bundletest"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

type registryCase struct {
	name  string
	start func(testing.TB) string
}

var registries = []registryCase{
	{"distribution", registrytest.Distribution},
	{"ggcr", func(t testing.TB) string { return registrytest.GGCR(t, false) }},
	{"ggcr-referrers", func(t testing.TB) string { return registrytest.GGCR(t, true) }},
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, rc := range registries {
		t.Run(rc.name, func(t *testing.T) {
			host := rc.start(t)
			t.Run("single", func(t *testing.T) {
				file := writeBundle(t, "echo", "1.0.0", "any")
				repo := repository(t, host, "acme/echo")
				plan, err := bundle.Prepare([]bundle.File{{Path: file, Platform: mediatypes.AnyPlatform}}, bundle.PrepareOptions{})
				must(t, err)
				if _, err := bundle.Push(ctx, repo, plan, "1.0.0", bundle.PushOptions{}); err != nil {
					t.Fatalf("push: %v", err)
				}
				out := t.TempDir()
				res, err := bundle.Pull(ctx, repo, bundletest.Resolve(t, repo, "1.0.0"), bundle.PullOptions{Platform: mediatypes.Platform{OS: "windows", Arch: "arm64"}, Output: out})
				must(t, err)
				if got, want := sha256File(t, res.Path), sha256File(t, file); got != want {
					t.Fatalf("pulled sha256 %s, pushed %s", got, want)
				}
				if filepath.Base(res.Path) != "echo-1.0.0.mcpb" {
					t.Errorf("pulled file name %q, want the layer title echo-1.0.0.mcpb", filepath.Base(res.Path))
				}
				if res.Artifact.Layer.Digest.Encoded() != sha256File(t, file) {
					t.Errorf("layer digest %s is not the file's sha256", res.Artifact.Layer.Digest)
				}
			})
			t.Run("multi-platform", func(t *testing.T) {
				files := map[string]string{
					"linux/amd64":  writeBundle(t, "tool", "2.1.0", "linux-amd64"),
					"darwin/arm64": writeBundle(t, "tool", "2.1.0", "darwin-arm64"),
					"linux":        writeBundle(t, "tool", "2.1.0", "linux-any"),
					"any":          writeBundle(t, "tool", "2.1.0", "universal"),
				}
				var in []bundle.File
				for p, f := range files {
					plat, err := mediatypes.ParsePlatform(p)
					must(t, err)
					in = append(in, bundle.File{Path: f, Platform: plat})
				}
				plan, err := bundle.Prepare(in, bundle.PrepareOptions{})
				must(t, err)
				repo := repository(t, host, "acme/tool")
				_, err = bundle.Push(ctx, repo, plan, "2.1.0", bundle.PushOptions{})
				must(t, err)

				for host, want := range map[string]string{
					"linux/amd64":   "linux/amd64",
					"darwin/arm64":  "darwin/arm64",
					"linux/arm64":   "linux/any", // same OS, any arch beats universal
					"windows/amd64": "any",
					"darwin/amd64":  "any",
				} {
					p, _ := mediatypes.ParsePlatform(host)
					res, err := bundle.Pull(ctx, repo, bundletest.Resolve(t, repo, "2.1.0"), bundle.PullOptions{Platform: p, Output: t.TempDir()})
					if err != nil {
						t.Fatalf("pull for %s: %v", host, err)
					}
					if got := res.Artifact.Entry.Platform.String(); got != want {
						t.Errorf("host %s selected %s, want %s", host, got, want)
					}
					key := want
					if want == "linux/any" {
						key = "linux"
					}
					if got := sha256File(t, res.Path); got != sha256File(t, files[key]) {
						t.Errorf("host %s got the bytes of another build", host)
					}
				}
			})
		})
	}
}

func TestIndexLayout(t *testing.T) {
	t.Parallel()
	host := registrytest.Distribution(t)
	repo := repository(t, host, "acme/layout")
	plan, err := bundle.Prepare([]bundle.File{
		{Path: writeBundle(t, "layout", "0.1.0", "a"), Platform: mediatypes.Platform{OS: "linux", Arch: "amd64"}},
		{Path: writeBundle(t, "layout", "0.1.0", "b"), Platform: mediatypes.AnyPlatform},
	}, bundle.PrepareOptions{Annotations: map[string]string{ocispec.AnnotationRevision: "abc123"}})
	must(t, err)
	_, err = bundle.Push(ctx, repo, plan, "0.1.0", bundle.PushOptions{})
	must(t, err)

	v, err := bundle.Resolve(ctx, repo, "0.1.0")
	must(t, err)
	if v.Index == nil || v.Index.ArtifactType != mediatypes.ArtifactType {
		t.Fatalf("index artifactType = %+v, want %s", v.Index, mediatypes.ArtifactType)
	}
	if got := v.Index.Manifests[0].Platform; got == nil || got.OS != "linux" || got.Architecture != "amd64" {
		t.Errorf("first entry platform = %+v, want linux/amd64", got)
	}
	anyEntry := v.Index.Manifests[1]
	if anyEntry.Platform != nil || anyEntry.Annotations[mediatypes.AnnotationPlatform] != "any" {
		t.Errorf("platform-independent entry = %+v, want no platform and %s=any", anyEntry, mediatypes.AnnotationPlatform)
	}
	ann := v.Index.Annotations
	for k, want := range map[string]string{
		ocispec.AnnotationVersion:            "0.1.0",
		ocispec.AnnotationRevision:           "abc123",
		ocispec.AnnotationSource:             "https://example.com/src.git",
		ocispec.AnnotationLicenses:           "MIT",
		ocispec.AnnotationDescription:        `test server \u00e9`, // ASCII-escaped
		mediatypes.AnnotationTools:           "echo,add",
		mediatypes.AnnotationServerType:      "node",
		mediatypes.AnnotationManifestVersion: "0.3",
		ocispec.AnnotationCreated:            "1980-01-01T00:00:00Z",
	} {
		if ann[k] != want {
			t.Errorf("index annotation %s = %q, want %q", k, ann[k], want)
		}
	}
	a, err := bundle.Fetch(ctx, repo, v.Builds[0])
	must(t, err)
	if a.Manifest.ArtifactType != mediatypes.ArtifactType || a.Manifest.Config.MediaType != mediatypes.Config {
		t.Errorf("manifest artifactType %q config %q", a.Manifest.ArtifactType, a.Manifest.Config.MediaType)
	}
	if a.Layer.MediaType != mediatypes.Bundle || a.Layer.Annotations[ocispec.AnnotationTitle] != "layout-0.1.0-linux-amd64.mcpb" {
		t.Errorf("layer = %+v", a.Layer)
	}
	if !strings.Contains(string(a.Config), `"name": "layout"`) {
		t.Errorf("config is not manifest.json verbatim: %s", a.Config)
	}
}

func TestPushIsIdempotentAndImmutable(t *testing.T) {
	t.Parallel()
	host := registrytest.Distribution(t)
	repo := repository(t, host, "acme/imm")
	file := writeBundle(t, "imm", "1.0.0", "one")
	push := func(path string) (*bundle.PushResult, error) {
		plan, err := bundle.Prepare([]bundle.File{{Path: path}}, bundle.PrepareOptions{})
		must(t, err)
		return bundle.Push(ctx, repo, plan, "1.0.0", bundle.PushOptions{})
	}
	first, err := push(file)
	must(t, err)
	if first.Unchanged {
		t.Fatal("first push reported unchanged")
	}
	again, err := push(writeBundle(t, "imm", "1.0.0", "one")) // repacked: same bytes
	must(t, err)
	if !again.Unchanged || again.Plan.Index.Digest != first.Plan.Index.Digest {
		t.Fatalf("re-push of identical content: unchanged=%v digest %s vs %s", again.Unchanged, again.Plan.Index.Digest, first.Plan.Index.Digest)
	}
	_, err = push(writeBundle(t, "imm", "1.0.0", "two"))
	var ve *bundle.VersionExistsError
	if !errors.Is(err, bundle.ErrVersionExists) || !errors.As(err, &ve) {
		t.Fatalf("pushing different content under 1.0.0: err = %v, want ErrVersionExists", err)
	}
	if ve.Existing != first.Plan.Index.Digest || !strings.Contains(err.Error(), "bump the version") {
		t.Errorf("error %q does not name the existing digest and the fix", err)
	}
	desc, err := repo.Resolve(ctx, "1.0.0")
	must(t, err)
	if desc.Digest != first.Plan.Index.Digest {
		t.Fatalf("tag moved to %s", desc.Digest)
	}
}

func TestPrepareRefusesMismatchBeforeUpload(t *testing.T) {
	t.Parallel()
	host := registrytest.Distribution(t)
	a := writeBundle(t, "mix", "1.0.0", "")
	cases := map[string][]bundle.File{
		"version":  {{Path: a, Platform: mediatypes.Platform{OS: "linux", Arch: "amd64"}}, {Path: writeBundle(t, "mix", "1.0.1", ""), Platform: mediatypes.AnyPlatform}},
		"name":     {{Path: a}, {Path: writeBundle(t, "other", "1.0.0", ""), Platform: mediatypes.Platform{OS: "linux", Arch: "arm64"}}},
		"platform": {{Path: a, Platform: mediatypes.AnyPlatform}, {Path: writeBundle(t, "mix", "1.0.0", "x"), Platform: mediatypes.AnyPlatform}},
	}
	for name, files := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := bundle.Prepare(files, bundle.PrepareOptions{}); err == nil {
				t.Fatal("mismatched files were accepted")
			}
		})
	}
	// Nothing reached the registry.
	reg, err := ref.Parse(host+"/acme/mix", ref.Defaults{})
	must(t, err)
	repo := repository(t, host, "acme/mix")
	if tags, err := registry.Tags(ctx, repo); err == nil && len(tags) > 0 {
		t.Fatalf("%s has tags %v after refused pushes", reg, tags)
	}
}

func TestPrepareIsReproducible(t *testing.T) {
	t.Parallel()
	a, err := bundle.Prepare([]bundle.File{{Path: writeBundle(t, "rep", "3.0.0", "x")}}, bundle.PrepareOptions{})
	must(t, err)
	b, err := bundle.Prepare([]bundle.File{{Path: writeBundle(t, "rep", "3.0.0", "x")}}, bundle.PrepareOptions{})
	must(t, err)
	if a.Index.Digest != b.Index.Digest {
		t.Fatalf("same bundle packed twice gave index digests %s and %s", a.Index.Digest, b.Index.Digest)
	}
	c, err := bundle.Prepare([]bundle.File{{Path: writeBundle(t, "rep", "3.0.0", "x")}}, bundle.PrepareOptions{Created: time.Unix(1700000000, 0)})
	must(t, err)
	if c.Index.Digest == a.Index.Digest {
		t.Fatal("PrepareOptions.Created did not change the created time")
	}
}

func TestNoBuildForPlatform(t *testing.T) {
	t.Parallel()
	host := registrytest.Distribution(t)
	repo := repository(t, host, "acme/narrow")
	plan, err := bundle.Prepare([]bundle.File{
		{Path: writeBundle(t, "narrow", "1.0.0", "m"), Platform: mediatypes.Platform{OS: "darwin", Arch: "arm64"}},
		{Path: writeBundle(t, "narrow", "1.0.0", "l"), Platform: mediatypes.Platform{OS: "linux", Arch: "amd64"}},
	}, bundle.PrepareOptions{})
	must(t, err)
	_, err = bundle.Push(ctx, repo, plan, "1.0.0", bundle.PushOptions{})
	must(t, err)
	out := t.TempDir()
	_, err = bundle.Pull(ctx, repo, bundletest.Resolve(t, repo, "1.0.0"), bundle.PullOptions{Platform: mediatypes.Platform{OS: "windows", Arch: "amd64"}, Output: out})
	if err == nil || !strings.Contains(err.Error(), "darwin/arm64, linux/amd64") || !strings.Contains(err.Error(), "--platform") {
		t.Fatalf("err = %v, want the available platforms and the fix", err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Fatalf("failed pull left %d files", len(entries))
	}
}
