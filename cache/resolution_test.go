package cache

import (
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
)

func TestRememberRecall(t *testing.T) {
	t.Parallel()
	c := openCache(t)
	index, amd, arm := digest.FromString("index").String(), digest.FromString("amd").String(), digest.FromString("arm").String()
	r := Resolution{
		Repository: "localhost:5000/org/srv", Tag: "1.2.3", IndexDigest: index,
		Builds:     map[string]Build{"linux/amd64": {ManifestDigest: amd, LayerDigest: digest.FromString("l1").String(), Size: 10}},
		ResolvedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
	}
	must(t, c.Remember(r))

	got, ok := c.Recall(r.Repository, "1.2.3")
	if !ok || !reflect.DeepEqual(got, r) {
		t.Fatalf("Recall = %+v, %v; want %+v", got, ok, r)
	}
	for _, d := range []string{index, amd} {
		if got, ok := c.RecallDigest(r.Repository, d); !ok || !reflect.DeepEqual(got, r) {
			t.Errorf("RecallDigest(%s) = %+v, %v", d, got, ok)
		}
	}
	misses := map[string]func() bool{
		"other tag":        func() bool { _, ok := c.Recall(r.Repository, "1.2.4"); return ok },
		"other repository": func() bool { _, ok := c.Recall("localhost:5000/org/other", "1.2.3"); return ok },
		"unknown digest":   func() bool { _, ok := c.RecallDigest(r.Repository, arm); return ok },
		"digest elsewhere": func() bool { _, ok := c.RecallDigest("localhost:5000/org/other", index); return ok },
	}
	for name, hit := range misses {
		if hit() {
			t.Errorf("%s: recalled", name)
		}
	}

	// Another platform's run adds its build instead of replacing the memo.
	r2 := r
	r2.Builds = map[string]Build{"linux/arm64": {ManifestDigest: arm, LayerDigest: digest.FromString("l2").String()}}
	must(t, c.Remember(r2))
	got, _ = c.Recall(r.Repository, "1.2.3")
	if len(got.Builds) != 2 {
		t.Errorf("builds after a second platform: %v", got.Builds)
	}
	if _, ok := c.RecallDigest(r.Repository, arm); !ok {
		t.Error("RecallDigest misses the second platform's manifest")
	}
	if items := tempItems(t, c); len(items) != 0 {
		t.Errorf("tmp/ after Remember: %v", items)
	}

	if err := c.Remember(Resolution{Repository: "x", IndexDigest: "sha256:bad"}); err == nil {
		t.Error("Remember accepted an invalid digest")
	}
}

func TestRecallCorrupt(t *testing.T) {
	t.Parallel()
	c := openCache(t)
	d := digest.FromString("index").String()
	must(t, c.Remember(Resolution{Repository: "r", Tag: "1.0.0", IndexDigest: d,
		Builds: map[string]Build{"any": {ManifestDigest: d, LayerDigest: d}}}))
	for _, content := range []string{"", "{", "null", `{"repository":"r","tag":"1.0.0"}`, "[1,2]"} {
		must(t, os.WriteFile(c.refPath("r", "tag:1.0.0"), []byte(content), 0o600))
		if r, ok := c.Recall("r", "1.0.0"); ok {
			t.Errorf("Recall of %q = %+v", content, r)
		}
	}
}
