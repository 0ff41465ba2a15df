package mcpb

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkParseManifest measures validation and the typed decode of one
// manifest.json:
//
//	go test ./mcpb -run '^$' -bench ParseManifest -benchmem
//
// "valid" is a full 0.3 manifest (every section used) read strictly, the
// path pack and push take; "corpus" is the mean over the 782 manifests of
// testdata/mcpbdiff read leniently, half of them invalid, the path a
// registry takes when it reads what others made.
func BenchmarkParseManifest(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "manifests", "v0.3-node.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("valid", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := ParseManifest(data, ParseOptions{Strict: true, RequireSemver: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
	cases, _ := loadDiffCorpus(b)
	b.Run("corpus", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, c := range cases {
				_, _, _ = ParseManifest(c.Manifest, ParseOptions{})
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(cases)), "ns/manifest")
	})
}

// BenchmarkLoadSchemas is what the first manifest read of a process pays
// to load the schema files (later reads reuse them).
func BenchmarkLoadSchemas(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := loadSchemas(); err != nil {
			b.Fatal(err)
		}
	}
}
