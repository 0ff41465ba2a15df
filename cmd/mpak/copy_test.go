package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/mpak-oci/mpak/internal/cli"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/referrer"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

// TestCopyCommand: `mpak bundle copy` takes a version and its scan report
// from one registry to another; the destination lists the same digests.
func TestCopyCommand(t *testing.T) {
	t.Parallel()
	src, dst := registrytest.Distribution(t), registrytest.GGCR(t, true)
	e := isolate(t, src)
	file := filepath.Join(t.TempDir(), "hello.mcpb")
	e.ok(t, "bundle", "pack", exampleDir(t, "1.0.0"), "-o", file, "--json")
	push := decode[cli.PushOutput](t, e.ok(t, "bundle", "push", "@example/hello", file, "--json"))

	repo, err := remote.NewRepository(src + "/example/hello")
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	root, err := repo.Resolve(context.Background(), "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	scan, err := referrer.Attach(context.Background(), repo, root, referrer.Artifact{ArtifactType: mediatypes.Scan,
		Blobs: []referrer.Blob{{MediaType: mediatypes.Scan, Data: []byte(`{}`)}}}, referrer.Options{})
	if err != nil {
		t.Fatal(err)
	}

	out := decode[cli.CopyOutput](t, e.ok(t, "bundle", "copy", "@example/hello@^1", dst+"/mirror/hello", "--json"))
	if out.Digest != push.Digest || out.Tag != "1.0.0" || out.Referrers != 1 {
		t.Errorf("copy said %+v, want %s tagged 1.0.0 with 1 referrer", out, push.Digest)
	}
	mirror, err := remote.NewRepository(dst + "/mirror/hello")
	if err != nil {
		t.Fatal(err)
	}
	mirror.PlainHTTP = true
	got, err := mirror.Resolve(context.Background(), "1.0.0")
	if err != nil || got.Digest.String() != push.Digest {
		t.Fatalf("destination 1.0.0: %v, %v", got.Digest, err)
	}
	if listed, err := referrer.Listed(context.Background(), mirror, ocispec.Descriptor{MediaType: got.MediaType, Digest: digest.Digest(push.Digest), Size: got.Size}, scan.Digest); err != nil || !listed {
		t.Errorf("the scan report is not a referrer at the destination: %v, %v", listed, err)
	}

	// Refusals that name the fix.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"bundle", "copy", "@example/hello@" + push.Digest, dst + "/mirror/hello"}, "name the version tag"},
		{[]string{"bundle", "copy", "@example/hello", dst + "/mirror/hello@" + push.Digest}, "names a digest"},
		{[]string{"bundle", "copy", "@example/hello", dst + "/mirror/hello:^1"}, "is a range"},
	} {
		_, errOut, code := e.mpak(t, c.args...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("mpak %s: exit %d, stderr %q; want a refusal saying %q", strings.Join(c.args, " "), code, errOut, c.want)
		}
	}
}
