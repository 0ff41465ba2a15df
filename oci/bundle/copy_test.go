package bundle_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/bundle/bundletest"
	"github.com/mpak-oci/mpak/oci/referrer"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

func copyRepo(t *testing.T, host, name string) *remote.Repository {
	t.Helper()
	repo, err := remote.NewRepository(host + "/" + name)
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	return repo
}

// attached is what the copy fixture hangs on a version, by where it hangs.
type attached struct {
	onRoot, onLinux, onScan []ocispec.Descriptor
	legacy                  string
}

// copyFixture publishes acme/weather 1.0.0 (linux/amd64 and darwin/arm64)
// with a signature and a scan report on the index, an SBOM on the linux
// manifest, a signature of the scan report, and a cosign-style legacy .sig
// image.
func copyFixture(t *testing.T, repo *remote.Repository) (ocispec.Descriptor, attached) {
	t.Helper()
	ctx := context.Background()
	var files []bundle.File
	for _, p := range []string{"linux/amd64", "darwin/arm64"} {
		platform, _ := mediatypes.ParsePlatform(p)
		files = append(files, bundle.File{Path: mcpbtest.Pack(t, "weather", "1.0.0", p), Platform: platform})
	}
	plan, err := bundle.Prepare(files, bundle.PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Push(ctx, repo, plan, "1.0.0", bundle.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	root := plan.Index
	var linux ocispec.Descriptor
	for _, b := range plan.Builds {
		if b.File.Platform.String() == "linux/amd64" {
			linux = b.Descriptor
		}
	}
	att := func(subject ocispec.Descriptor, artifactType string) ocispec.Descriptor {
		d, err := referrer.Attach(ctx, repo, subject, referrer.Artifact{ArtifactType: artifactType,
			Blobs: []referrer.Blob{{MediaType: artifactType, Data: []byte(`{"for":"` + subject.Digest.String() + `"}`)}}}, referrer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	var a attached
	scan := att(root, mediatypes.Scan)
	a.onRoot = []ocispec.Descriptor{att(root, mediatypes.SigstoreBundle), scan}
	a.onLinux = []ocispec.Descriptor{att(linux, mediatypes.CycloneDX)}
	a.onScan = []ocispec.Descriptor{att(scan, mediatypes.SigstoreBundle)}

	a.legacy = strings.Replace(root.Digest.String(), ":", "-", 1) + ".sig"
	sig, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_0, ocispec.MediaTypeImageConfig, oras.PackManifestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Tag(ctx, sig, a.legacy); err != nil {
		t.Fatal(err)
	}
	return root, a
}

// TestCopy copies a version with everything attached between a
// fallback-tag registry and a referrers-API registry, in all four
// directions.
func TestCopy(t *testing.T) {
	t.Parallel()
	kinds := []struct {
		name  string
		start func(testing.TB) string
	}{
		{"fallback", registrytest.Distribution},
		{"api", func(t testing.TB) string { return registrytest.GGCR(t, true) }},
	}
	for _, from := range kinds {
		for _, to := range kinds {
			t.Run(from.name+"-to-"+to.name, func(t *testing.T) {
				ctx := context.Background()
				src := copyRepo(t, from.start(t), "acme/weather")
				dst := copyRepo(t, to.start(t), "mirror/acme/weather")
				root, a := copyFixture(t, src)

				res, err := bundle.Copy(ctx, src, dst, bundletest.Resolve(t, src, "1.0.0"), bundle.CopyOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if res.Referrers != 4 || len(res.Legacy) != 1 {
					t.Errorf("copied %d referrers and legacy %v, want 4 and the .sig", res.Referrers, res.Legacy)
				}
				// A fresh client, as `mpak bundle verify` at the destination.
				check := copyRepo(t, strings.Split(dst.Reference.Registry, "/")[0], "mirror/acme/weather")
				got, err := check.Resolve(ctx, "1.0.0")
				if err != nil || got.Digest != root.Digest {
					t.Fatalf("destination 1.0.0 = %v, %v; want %s", got.Digest, err, root.Digest)
				}
				for _, c := range []struct {
					subject ocispec.Descriptor
					want    []ocispec.Descriptor
				}{{root, a.onRoot}, {a.onLinux[0], nil}, {a.onRoot[1], a.onScan}} {
					refs, err := referrer.List(ctx, check, c.subject, "")
					if err != nil {
						t.Fatal(err)
					}
					for _, w := range c.want {
						found := false
						for _, r := range refs {
							found = found || r.Digest == w.Digest
						}
						if !found {
							t.Errorf("referrer %s (%s) of %s missing at the destination; listed %v", w.Digest, w.ArtifactType, c.subject.Digest, refs)
						}
					}
				}
				// The SBOM hangs on the linux manifest.
				idx, err := content.FetchAll(ctx, check, root)
				if err != nil {
					t.Fatal(err)
				}
				var linux ocispec.Descriptor
				children, _ := content.Successors(ctx, check, ocispec.Descriptor{MediaType: root.MediaType, Digest: root.Digest, Size: root.Size, Data: idx})
				for _, ch := range children {
					if ch.Platform != nil && ch.Platform.OS == "linux" {
						linux = ch
					}
				}
				if refs, err := referrer.List(ctx, check, linux, mediatypes.CycloneDX); err != nil || len(refs) != 1 || refs[0].Digest != a.onLinux[0].Digest {
					t.Errorf("SBOM of the linux build at the destination: %v, %v", refs, err)
				}
				if _, err := check.Resolve(ctx, a.legacy); err != nil {
					t.Errorf("legacy signature tag %s at the destination: %v", a.legacy, err)
				}
				// Again: nothing to send, same answer.
				if again, err := bundle.Copy(ctx, src, dst, bundletest.Resolve(t, src, "1.0.0"), bundle.CopyOptions{}); err != nil || again.Root.Digest != root.Digest {
					t.Errorf("second copy: %+v, %v", again, err)
				}
			})
		}
	}
}

func TestCopyMissingSource(t *testing.T) {
	t.Parallel()
	src := copyRepo(t, registrytest.Distribution(t), "acme/none")
	// Copy takes a resolved version: a missing one fails at resolution.
	_, err := bundle.Resolve(context.Background(), src, "1.0.0")
	if !errors.Is(err, errdef.ErrNotFound) || !strings.Contains(err.Error(), "1.0.0") {
		t.Errorf("copying a missing version: %v, want not found naming 1.0.0", err)
	}
}
