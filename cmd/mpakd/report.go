package main

import (
	"fmt"
	"io"

	"github.com/mpak-oci/mpak/registry/ingest"
)

// printReports says what reindex or sync did, repository by repository:
// every tag not indexed with why, so "indexed 0 versions" is never the
// whole story.
func printReports(w io.Writer, reports []*ingest.Report) {
	var indexed, repos int
	for _, r := range reports {
		indexed += len(r.Indexed)
		if len(r.Indexed) > 0 {
			repos++
		}
		for _, k := range r.Skipped {
			if k.NotBundle {
				fmt.Fprintf(w, "warning: skipped, not a bundle: %s\n", k.Reason)
			} else {
				fmt.Fprintf(w, "skipped: %s\n", k.Reason)
			}
		}
		for _, t := range r.Tampered {
			fmt.Fprintf(w, "tampered %s:%s: published as %s, the tag now names %s; the catalog keeps the published digest and mpakd refuses the version by tag\n",
				t.Repository, t.Tag, t.Published, t.Found)
		}
		for _, v := range r.Pruned {
			fmt.Fprintf(w, "pruned %s@%s: the registry no longer holds it\n", r.Repository, v)
		}
	}
	fmt.Fprintf(w, "indexed %d versions in %d repositories\n", indexed, repos)
}
