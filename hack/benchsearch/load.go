package benchsearch

import (
	"context"
	"sync"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// Load puts the catalog into st: each repository's versions in order, by
// workers goroutines (repositories split between them), then the
// downloads in batches.
func Load(ctx context.Context, st catalog.Store, cat *Catalog, workers int, progress func(done int)) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		done  int
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(cat.Repos); i += workers {
				for j := range cat.Repos[i].Versions {
					if err := st.PutVersion(ctx, &cat.Repos[i].Versions[j]); err != nil {
						mu.Lock()
						first = cmpErr(first, err)
						mu.Unlock()
						return
					}
				}
				mu.Lock()
				done++
				if progress != nil && done%2000 == 0 {
					progress(done)
				}
				stop := first != nil
				mu.Unlock()
				if stop {
					return
				}
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	const batch = 2000
	for i := 0; i < len(cat.Downloads); i += batch {
		if err := st.AddDownloads(ctx, cat.Downloads[i:min(i+batch, len(cat.Downloads))]); err != nil {
			return err
		}
	}
	return nil
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
