//go:build !unix

package stats

import (
	"testing"
	"time"
)

// cpuTime is not measured here: BenchmarkPull's CPU metrics read 0.
func cpuTime(*testing.B) time.Duration { return 0 }
