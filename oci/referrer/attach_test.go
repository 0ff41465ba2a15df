package referrer_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/mpak-oci/mpak/oci/referrer"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

// registries are the two kinds Attach must handle: distribution/v3
// without the referrers API (fallback tags), and go-containerregistry's
// registry with it.
var registries = []struct {
	name  string
	start func(t testing.TB) string
}{
	{"fallback-tag", registrytest.Distribution},
	{"referrers-api", func(t testing.TB) string { return registrytest.GGCR(t, true) }},
}

// client is a new repository client, as another process would have: no
// shared state, its own capability detection.
func client(t *testing.T, host string) *remote.Repository {
	t.Helper()
	repo, err := remote.NewRepository(host + "/acme/weather")
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	return repo
}

// subject pushes a small artifact to attach things to.
func subject(t *testing.T, repo *remote.Repository) ocispec.Descriptor {
	t.Helper()
	data := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}]}`)
	ctx := context.Background()
	if err := repo.Push(ctx, ocispec.DescriptorEmptyJSON, bytes.NewReader(ocispec.DescriptorEmptyJSON.Data)); err != nil {
		t.Fatal(err)
	}
	desc := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, data)
	if err := repo.Push(ctx, desc, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	return desc
}

func TestAttachAndList(t *testing.T) {
	for _, r := range registries {
		t.Run(r.name, func(t *testing.T) {
			host := r.start(t)
			repo := client(t, host)
			subj := subject(t, repo)
			ctx := context.Background()
			scan, err := referrer.Attach(ctx, repo, subj, referrer.Artifact{
				ArtifactType: "application/vnd.mpak.scan.v1+json",
				Blobs:        []referrer.Blob{{MediaType: "application/vnd.mpak.scan.v1+json", Data: []byte(`{"level":2}`)}},
				Annotations:  map[string]string{"dev.mpak.scan.level": "2"},
			}, referrer.Options{})
			if err != nil {
				t.Fatal(err)
			}
			sbom, err := referrer.Attach(ctx, repo, subj, referrer.Artifact{
				ArtifactType: "application/vnd.cyclonedx+json",
				Blobs:        []referrer.Blob{{MediaType: "application/vnd.cyclonedx+json", Data: []byte(`{"bomFormat":"CycloneDX"}`)}},
			}, referrer.Options{})
			if err != nil {
				t.Fatal(err)
			}
			// Another client, with no cached capability, sees both, with
			// artifact types and annotations.
			all, err := referrer.List(ctx, client(t, host), subj, "")
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]ocispec.Descriptor{}
			for _, d := range all {
				got[d.Digest.String()] = d
			}
			if len(all) != 2 || got[scan.Digest.String()].ArtifactType != scan.ArtifactType || got[sbom.Digest.String()].ArtifactType != sbom.ArtifactType {
				t.Fatalf("referrers %+v, want the scan report and the SBOM", all)
			}
			if got[scan.Digest.String()].Annotations["dev.mpak.scan.level"] != "2" {
				t.Errorf("the scan report's annotations were not listed: %+v", got[scan.Digest.String()].Annotations)
			}
			only, err := referrer.List(ctx, repo, subj, "application/vnd.cyclonedx+json")
			if err != nil {
				t.Fatal(err)
			}
			if len(only) != 1 || only[0].Digest != sbom.Digest {
				t.Errorf("filtered by artifact type: %+v, want the SBOM only", only)
			}
			if _, err := referrer.Attach(ctx, repo, subj, referrer.Artifact{}, referrer.Options{}); err == nil {
				t.Error("an artifact without a type was attached")
			}
		})
	}
}

// TestConcurrentAttaches: 10 attaches to one subject at once from 10
// processes (this test binary, re-executed) leave all 10 listed, also where
// the registry keeps the list in a fallback tag that every attach rewrites
// and the in-process lock cannot help.
func TestConcurrentAttaches(t *testing.T) {
	for _, r := range registries {
		t.Run(r.name, func(t *testing.T) {
			host := r.start(t)
			subj := subject(t, client(t, host))
			const n = 10
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					cmd := exec.Command(os.Args[0], "-test.run=^TestAttachProcess$")
					cmd.Env = append(os.Environ(), helperEnv+"="+host+" "+subj.Digest.String()+" "+strconv.FormatInt(subj.Size, 10)+" "+strconv.Itoa(i))
					if out, err := cmd.CombinedOutput(); err != nil {
						t.Errorf("attaching process %d: %v\n%s", i, err, out)
					}
				})
			}
			wg.Wait()
			all, err := referrer.List(context.Background(), client(t, host), subj, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != n {
				t.Errorf("%d referrers listed after %d concurrent attaches, want %d", len(all), n, n)
			}
		})
	}
}

// helperEnv carries TestAttachProcess's job: "host digest size i".
const helperEnv = "MPAK_REFERRER_ATTACH"

// TestAttachProcess is one attaching process of TestConcurrentAttaches; it
// does nothing in a normal run.
func TestAttachProcess(t *testing.T) {
	job := os.Getenv(helperEnv)
	if job == "" {
		return
	}
	var host, dgst string
	var size int64
	var i int
	if _, err := fmt.Sscan(job, &host, &dgst, &size, &i); err != nil {
		t.Fatal(err)
	}
	subj := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.Digest(dgst), Size: size}
	_, err := referrer.Attach(context.Background(), client(t, host), subj, referrer.Artifact{
		ArtifactType: "application/vnd.example.note",
		Blobs:        []referrer.Blob{{MediaType: "text/plain", Data: fmt.Appendf(nil, "note %d", i)}},
	}, referrer.Options{})
	if err != nil {
		t.Fatal(err)
	}
}
