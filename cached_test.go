package mpak_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak"
	"github.com/mpak-oci/mpak/cache"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

// TestMatchUncacheSensitive: cached bundles are found by digest prefix
// (which must be unambiguous) or by repository, removed, and read for the
// keys their manifests mark sensitive.
func TestMatchUncacheSensitive(t *testing.T) {
	t.Parallel()
	host := registrytest.Distribution(t)
	publish(t, host, "1.0.0")
	publish(t, host, "1.1.0")
	cc, err := cache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, host, mpak.Options{Cache: cc})
	var digests []string
	for _, v := range []string{"1.0.0", "1.1.0"} {
		res, err := c.Install(ctx, "@acme/tool@"+v, mpak.InstallOptions{})
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, res.Entry.Digest.Encoded())
	}
	repo := host + "/acme/tool"
	if s := c.SensitiveKeys(repo); !s["api_key"] || len(s) != 1 {
		t.Errorf("sensitive keys of %s: %v, want api_key", repo, s)
	}
	if s := c.SensitiveKeys(host + "/acme/other"); len(s) != 0 {
		t.Errorf("sensitive keys of a bundle not cached: %v", s)
	}

	if m, err := c.Match("@acme/tool@^9"); err != nil || len(m) != 2 {
		t.Errorf("match by repository: %d entries, %v; want both builds, whatever the version asked", len(m), err)
	}
	if m, err := c.Match("sha256:" + digests[0]); err != nil || len(m) != 1 || m[0].Digest.Encoded() != digests[0] {
		t.Errorf("match by digest: %v, %v", m, err)
	}
	var ambiguous *mpak.AmbiguousError
	// With the algorithm named, a prefix of any length counts.
	if _, err := c.Match("sha256:" + commonPrefix(digests[0], digests[1])); !errors.As(err, &ambiguous) || ambiguous.Matches != 2 {
		t.Errorf("a prefix of both digests: %v, want an AmbiguousError", err)
	}
	var notCached *mpak.NotCachedError
	if _, err := c.Match(strings.Repeat("0", 12)); !errors.As(err, &notCached) || digests[0][:12] == strings.Repeat("0", 12) {
		t.Errorf("a digest nothing has: %v, want a NotCachedError", err)
	}

	removed, err := c.Uncache(digests[0][:12])
	if err != nil || len(removed) != 1 || removed[0].Digest.Encoded() != digests[0] {
		t.Fatalf("uncache: %v, %v", removed, err)
	}
	if _, ok := cc.Lookup(removed[0].Digest); ok {
		t.Error("the removed bundle is still cached")
	}
	if removed, err := c.Uncache("@acme/tool"); err != nil || len(removed) != 1 || removed[0].Digest.Encoded() != digests[1] {
		t.Errorf("uncache the repository: %v, %v; want the build left", removed, err)
	}
	if _, err := c.Uncache("@acme/tool"); !errors.As(err, &notCached) {
		t.Errorf("uncache of what is gone: %v, want a NotCachedError", err)
	}
}

func commonPrefix(a, b string) string {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return a[:n]
}
