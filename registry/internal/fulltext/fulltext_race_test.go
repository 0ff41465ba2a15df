package fulltext

import (
	"sync"
	"testing"
)

// Folding runs in every search and every PutVersion, from many goroutines:
// a shared transformer panicked under concurrent HTTP searches.
func TestSplitIsSafeConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				words := split("Café getForecast ﬁle naïve", true)
				if len(words) == 0 || words[0] != "cafe" {
					t.Errorf("split = %v", words)
					return
				}
			}
		}()
	}
	wg.Wait()
}
